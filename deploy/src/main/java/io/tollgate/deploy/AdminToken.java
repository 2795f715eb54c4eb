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
 * The local stack's admin token: 32 random bytes, base64url, generated once into {@code <data-dir>/admin-token}
 * (mode 600) and reused on every later start, so that scripts and gateways configured with it keep working.
 */
public final class AdminToken {
    public static final String FILE_NAME = "admin-token";
    private static final SecureRandom RANDOM = new SecureRandom();

    private AdminToken() {
    }

    public static String readOrCreate(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
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
            Path temp = dataDir.resolve(FILE_NAME + ".tmp");
            Files.deleteIfExists(temp);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(temp, token + "\n", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the admin token " + file, e);
        }
    }
}
