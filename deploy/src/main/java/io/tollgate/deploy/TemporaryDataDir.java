package io.tollgate.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The data directory a one-shot command ({@code demo}, {@code bench}) creates for its stack and removes after a clean run. */
public final class TemporaryDataDir {
    private TemporaryDataDir() {
    }

    /** Deletes {@code dir} and everything in it; a leftover temporary directory is harmless, so failures are ignored. */
    public static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // nothing depends on the directory being gone
        }
    }
}
