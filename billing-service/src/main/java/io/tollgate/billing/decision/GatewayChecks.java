package io.tollgate.billing.decision;

import io.tollgate.runtime.BearerTokens;
import io.tollgate.schemas.ConsumerIds;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What every decision endpoint checks before deciding (HTTP forward auth, {@code POST /v1/decisions}, gRPC
 * ext_authz), in this order: the gateway's credentials ({@code Authorization: Bearer} one of
 * {@code TOLLGATE_DECISION_TOKENS} when any is configured; {@code X-Tollgate-Secret} when a shared secret is
 * configured), who is calling (the first non-empty identity header, which must be a valid consumer id) and what the
 * call declares ({@code X-Usage-Estimate}, bounded per meter). Each failure is a {@link Rejected} naming the field.
 */
public final class GatewayChecks {
    public static final String SECRET_HEADER = "X-Tollgate-Secret";

    /** Either a consumer or why there is none. */
    public sealed interface Identity permits Identified, Rejected {
    }

    public record Identified(String consumer) implements Identity {
    }

    /** A request refused before any decision: the reason, the field at fault (may be null) and a sentence. */
    public record Rejected(Reason reason, String field, String detail) implements Identity {
    }

    private final List<String> identityHeaders;
    private final String identityList;
    private final byte[] sharedSecret;
    private final BearerTokens tokens;
    private final long maxEstimateUnits;

    /**
     * @param sharedSecret     required in {@code X-Tollgate-Secret} when not blank
     * @param tokens           required as {@code Authorization: Bearer} when not empty
     * @param maxEstimateUnits the largest estimate of one meter a call may declare
     */
    public GatewayChecks(List<String> identityHeaders, String sharedSecret, BearerTokens tokens, long maxEstimateUnits) {
        this.identityHeaders = List.copyOf(identityHeaders);
        this.identityList = String.join(", ", identityHeaders);
        this.sharedSecret = sharedSecret == null || sharedSecret.isEmpty() ? null : sharedSecret.getBytes(StandardCharsets.UTF_8);
        this.tokens = tokens;
        this.maxEstimateUnits = maxEstimateUnits;
    }

    /** Open: no token, no secret, the default bound. */
    public static GatewayChecks open(List<String> identityHeaders) {
        return new GatewayChecks(identityHeaders, "", BearerTokens.parse(""), Estimate.DEFAULT_MAX_UNITS);
    }

    public List<String> identityHeaders() {
        return identityHeaders;
    }

    public boolean requiresToken() {
        return !tokens.isEmpty();
    }

    /** The bearer token check alone (gRPC reads it from call metadata); null when accepted. */
    public Rejected token(String authorization) {
        if (tokens.isEmpty() || tokens.acceptsHeader(authorization)) {
            return null;
        }
        return new Rejected(Reason.INVALID_TOKEN, "Authorization", authorization == null
                ? "Decisions require Authorization: Bearer <decision token> (one of TOLLGATE_DECISION_TOKENS)."
                : "The bearer token is not one of TOLLGATE_DECISION_TOKENS.");
    }

    /** The shared-secret check alone; null when accepted. */
    public Rejected secret(String presented) {
        if (sharedSecret == null
                || presented != null && MessageDigest.isEqual(sharedSecret, presented.getBytes(StandardCharsets.UTF_8))) {
            return null;
        }
        return new Rejected(Reason.INVALID_SECRET, SECRET_HEADER, "Header X-Tollgate-Secret is missing or wrong.");
    }

    /** Token, then secret; null when both are accepted. */
    public Rejected credentials(String authorization, String secret) {
        Rejected rejected = token(authorization);
        return rejected != null ? rejected : secret(secret);
    }

    /** The consumer from the first non-empty identity header ({@code header} looks a name up, null when absent). */
    public Identity identity(UnaryOperator<String> header) {
        for (String name : identityHeaders) {
            String value = ConsumerIds.normalize(header.apply(name));
            if (value != null && !value.isEmpty()) {
                return consumer(name, value);
            }
        }
        return new Rejected(Reason.MISSING_CONSUMER, null, "None of the identity headers is set: " + identityList + ".");
    }

    /** {@code value} (already {@link ConsumerIds#normalize normalized}) as the consumer named by {@code field}, if it is a valid consumer id. */
    public static Identity consumer(String field, String value) {
        String problem = ConsumerIds.problem(value);
        return problem == null ? new Identified(value) : new Rejected(Reason.INVALID_CONSUMER, field, field + " " + problem + ".");
    }

    /** Parses {@code X-Usage-Estimate} with the configured bound. */
    public Estimate estimate(String header) {
        return Estimate.parseHeader(header, maxEstimateUnits);
    }

    public long maxEstimateUnits() {
        return maxEstimateUnits;
    }
}
