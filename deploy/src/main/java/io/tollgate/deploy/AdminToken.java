package io.tollgate.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The local stack's tokens: 32 random bytes, base64url, generated once into a file of the data directory (mode 600)
 * and reused on every later start, so that scripts and gateways configured with them keep working. The admin token
 * ({@code <data-dir>/admin-token}, {@code TOLLGATE_ADMIN_TOKENS}) opens the admin, finance and balance endpoints; the
 * decision token ({@code <data-dir>/decision-token}, {@code TOLLGATE_DECISION_TOKENS}) is what gateways present to the
 * decision endpoints.
 */
public final class AdminToken {
    public static final String FILE_NAME = "admin-token";
    public static final String DECISION_FILE_NAME = "decision-token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private AdminToken() {
    }

    /** The admin token of {@code dataDir}, created on first use. */
    public static String readOrCreate(Path dataDir) {
        return readOrCreate(dataDir, FILE_NAME);
    }

    /** The decision token of {@code dataDir}, created on first use. */
    public static String readOrCreateDecisionToken(Path dataDir) {
        return readOrCreate(dataDir, DECISION_FILE_NAME);
    }

    private static String readOrCreate(Path dataDir, String fileName) {
        Path file = dataDir.resolve(fileName);
        try {
            if (Files.isRegularFile(file)) {
                String token = Files.readString(file).trim();
                if (!token.isEmpty()) {
                    return token;
                }
            }
            Files.createDirectories(dataDir);
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            Path temp = dataDir.resolve(fileName + ".tmp");
            Files.deleteIfExists(temp);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(temp, token + "\n", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the token " + file, e);
        }
    }
}
