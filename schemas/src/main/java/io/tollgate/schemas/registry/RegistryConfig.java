package io.tollgate.schemas.registry;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Where and how to reach a Confluent-compatible schema registry. Keys follow Confluent's serde
 * configuration so that existing client properties work unchanged.
 */
public record RegistryConfig(URI baseUrl, String basicAuthUserInfo, String bearerToken,
                             Duration requestTimeout, int maxRetries, Duration initialBackoff) {
    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String MAX_RETRIES = "schema.registry.max.retries";

    public static RegistryConfig of(String url) {
        return new RegistryConfig(URI.create(stripSlash(url)), null, null, Duration.ofSeconds(10), 3, Duration.ofMillis(200));
    }

    public static RegistryConfig from(Map<String, ?> configs) {
        Object url = configs.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException(URL + " is required");
        }
        String first = url.toString().split(",")[0].trim();
        return new RegistryConfig(URI.create(stripSlash(first)),
                str(configs.get(BASIC_AUTH_USER_INFO)), str(configs.get(BEARER_AUTH_TOKEN)),
                Duration.ofMillis(num(configs.get(REQUEST_TIMEOUT_MS), 10_000)),
                (int) num(configs.get(MAX_RETRIES), 3), Duration.ofMillis(200));
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String str(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString();
    }

    private static long num(Object o, long fallback) {
        return o == null ? fallback : Long.parseLong(o.toString());
    }
}
