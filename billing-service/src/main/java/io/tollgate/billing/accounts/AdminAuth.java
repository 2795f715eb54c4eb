package io.tollgate.billing.accounts;

import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.Problem;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;

import java.util.List;

/**
 * Admin and finance endpoints require {@code Authorization: Bearer <token>} with one of the configured
 * tokens ({@link BearerTokens}: SHA-256 digests compared in constant time against every token). With no token
 * configured every call is refused: the endpoints are never open by accident. It is a {@link SecurityPolicyHandler},
 * the kind of handler Vert.x runs before {@code BodyHandler}: a request body is read only after its caller is known.
 */
public final class AdminAuth implements SecurityPolicyHandler {
    private final BearerTokens tokens;

    public AdminAuth(List<String> tokens) {
        this.tokens = BearerTokens.of(tokens);
    }

    public boolean hasTokens() {
        return !tokens.isEmpty();
    }

    public boolean accepts(String authorization) {
        return tokens.acceptsHeader(authorization);
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
}
