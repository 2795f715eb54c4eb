package io.tollgate.billing.decision;

/**
 * The closed set of reasons a call is not allowed, each with its HTTP status. The four payment reasons answer
 * {@code 402}; the others are about who is calling, what the request says, or whether the service can decide at all.
 * Only {@link #INTERNAL_ERROR} is a 5xx: a failure of Tollgate itself, never a deny.
 */
public enum Reason {
    INSUFFICIENT_CREDITS("insufficient_credits", 402, "Insufficient credits"),
    QUOTA_EXCEEDED("quota_exceeded", 402, "Quota exceeded"),
    SPEND_LIMIT_REACHED("spend_limit_reached", 402, "Spend limit reached"),
    SUBSCRIPTION_INACTIVE("subscription_inactive", 402, "Subscription inactive"),
    UNKNOWN_CONSUMER("unknown_consumer", 403, "Unknown consumer"),
    STALE_BALANCE("stale_balance", 403, "Balance unavailable"),
    MISSING_CONSUMER("missing_consumer", 401, "Consumer not identified"),
    INVALID_SECRET("invalid_secret", 401, "Invalid decision secret"),
    INVALID_TOKEN("invalid_token", 401, "Gateway credentials required"),
    INVALID_ESTIMATE("invalid_estimate", 400, "Invalid usage estimate"),
    INVALID_CONSUMER("invalid_consumer", 400, "Invalid consumer id"),
    INVALID_REQUEST("invalid_request", 400, "Invalid decision request"),
    INTERNAL_ERROR("internal_error", 500, "Internal error");

    private final String code;
    private final int status;
    private final String title;

    Reason(String code, int status, String title) {
        this.code = code;
        this.status = status;
        this.title = title;
    }

    /** The wire name: {@code insufficient_credits}. */
    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public boolean isPayment() {
        return status == 402;
    }

    /** Problem type suffix: {@code insufficient-credits}. */
    public String problemType() {
        return code.replace('_', '-');
    }
}
