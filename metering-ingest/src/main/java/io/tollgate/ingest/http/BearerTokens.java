package io.tollgate.ingest.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/** The ingest credentials: none configured means ingest is open. Compared in constant time. */
final class BearerTokens {
    private final List<byte[]> tokens;

    BearerTokens(Set<String> tokens) {
        this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    boolean open() {
        return tokens.isEmpty();
    }

    /** Whether {@code authorization} (the header value, possibly null) carries an accepted bearer token. */
    boolean accepts(String authorization) {
        if (open()) {
            return true;
        }
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return acceptsToken(authorization.substring(7).trim());
    }

    boolean acceptsToken(String candidate) {
        byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] token : tokens) {
            match |= MessageDigest.isEqual(token, given);
        }
        return match;
    }
}
