package io.tollgate.billing.accounts;

import io.tollgate.runtime.Problem;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;

/**
 * Admin and finance endpoints require {@code Authorization: Bearer <token>} with one of the configured
 * tokens. Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, against every
 * configured token, so the time taken says nothing about how much of a token was right. With no token
 * configured every call is refused: the endpoints are never open by accident.
 */
public final class AdminAuth implements Handler<RoutingContext> {
    private static final String BEARER = "bearer ";
    private final List<byte[]> digests;

    public AdminAuth(List<String> tokens) {
        this.digests = tokens.stream().map(String::trim).filter(t -> !t.isEmpty()).map(AdminAuth::sha256).toList();
    }

    public boolean hasTokens() {
        return !digests.isEmpty();
    }

    public boolean accepts(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
            return false;
        }
        byte[] presented = sha256(authorization.substring(BEARER.length()).trim());
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(digest, presented);
        }
        return match;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String authorization = ctx.request().getHeader("Authorization");
        if (accepts(authorization)) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tollgate-admin\"");
        Problem.send(ctx.response(), 401, "unauthorized", "Unauthorized",
                authorization == null ? "this endpoint requires Authorization: Bearer <admin token>"
                        : "the bearer token is not one of TOLLGATE_ADMIN_TOKENS");
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
