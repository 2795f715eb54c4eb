package io.tollgate.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * A set of accepted bearer tokens ({@code TOLLGATE_ADMIN_TOKENS}, {@code TOLLGATE_DECISION_TOKENS}: comma-separated).
 * A presented token is compared as a SHA-256 digest with {@link MessageDigest#isEqual} against every accepted one,
 * so the time taken says neither which token nor how much of one was right. Whether an empty set means "open" or
 * "closed" is the caller's policy ({@link #isEmpty()}).
 */
public final class BearerTokens {
    private static final String BEARER = "Bearer ";
    private final List<byte[]> digests;

    private BearerTokens(List<byte[]> digests) {
        this.digests = digests;
    }

    /** From a comma-separated list; blank entries are ignored. */
    public static BearerTokens parse(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return new BearerTokens(List.of());
        }
        return of(Arrays.asList(commaSeparated.split(",")));
    }

    public static BearerTokens of(List<String> tokens) {
        return new BearerTokens(tokens.stream().map(String::trim).filter(t -> !t.isEmpty()).map(BearerTokens::sha256).toList());
    }

    public boolean isEmpty() {
        return digests.isEmpty();
    }

    public int size() {
        return digests.size();
    }

    /** Whether {@code authorization} (an {@code Authorization} header value, possibly null) is {@code Bearer <accepted token>}. */
    public boolean acceptsHeader(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        return acceptsToken(authorization.substring(BEARER.length()).trim());
    }

    /** Whether {@code token} is one of the accepted tokens; false when none is configured. */
    public boolean acceptsToken(String token) {
        if (token == null || token.isEmpty()) {
            return false;
        }
        byte[] presented = sha256(token);
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(digest, presented);
        }
        return match;
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
