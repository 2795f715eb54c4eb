package io.tollgate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds {@code java} executables: the one running us (for Kafka) and a recent one (Apicurio needs 21+). */
public final class JavaRuntime {
    public static final String REGISTRY_JAVA_ENV = "TOLLGATE_REGISTRY_JAVA";

    private JavaRuntime() {
    }

    /** The java executable of this JVM. */
    public static Path current() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * A java of at least {@code minVersion}: {@code explicit} (a java executable or a JDK home) if given, then
     * {@code TOLLGATE_REGISTRY_JAVA}, {@code JAVA_HOME}, this JVM, {@code PATH}, and {@code /usr/lib/jvm/*}.
     */
    public static Path atLeast(int minVersion, String explicit) {
        List<Path> candidates = new ArrayList<>();
        if (explicit != null && !explicit.isBlank()) {
            Path given = executable(Path.of(explicit));
            if (version(given) < minVersion) {
                throw new IllegalStateException(explicit + " is not a Java " + minVersion + "+ runtime");
            }
            return given;
        }
        Optional.ofNullable(System.getenv(REGISTRY_JAVA_ENV)).filter(s -> !s.isBlank())
                .ifPresent(s -> candidates.add(executable(Path.of(s))));
        Optional.ofNullable(System.getenv("JAVA_HOME")).filter(s -> !s.isBlank())
                .ifPresent(s -> candidates.add(Path.of(s, "bin", "java")));
        candidates.add(current());
        Optional.ofNullable(System.getenv("PATH")).ifPresent(path -> {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, "java"));
                }
            }
        });
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> homes = Files.list(jvms)) {
                homes.sorted(Comparator.reverseOrder()).forEach(home -> candidates.add(home.resolve("bin").resolve("java")));
            } catch (IOException ignored) {
                // unreadable: the other candidates remain
            }
        }
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate) && version(candidate) >= minVersion) {
                return candidate;
            }
        }
        throw new IllegalStateException("the schema registry (Apicurio Registry " + ApicurioRegistry.VERSION + ") needs Java "
                + minVersion + " or newer, and none was found (looked at " + REGISTRY_JAVA_ENV + ", JAVA_HOME, PATH and /usr/lib/jvm). "
                + "Install a JDK " + minVersion + "+ (e.g. `apt-get install openjdk-21-jdk-headless` or Temurin 21) and set "
                + REGISTRY_JAVA_ENV + "=/path/to/jdk/bin/java");
    }

    private static Path executable(Path given) {
        return Files.isDirectory(given) ? given.resolve("bin").resolve("java") : given;
    }

    /** The feature version (17, 21, 25...) of the java at {@code java}, or 0 if it cannot be run. */
    static int version(Path java) {
        if (java.equals(current())) {
            return Runtime.version().feature();
        }
        Path release = java.toAbsolutePath().getParent() == null ? null : java.toAbsolutePath().getParent().resolveSibling("release");
        if (release != null && Files.isRegularFile(release)) {
            try {
                for (String line : Files.readAllLines(release)) {
                    if (line.startsWith("JAVA_VERSION=")) {
                        return feature(line.substring("JAVA_VERSION=".length()).replace("\"", ""));
                    }
                }
            } catch (IOException ignored) {
                // fall through to asking the binary
            }
        }
        try {
            Process p = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            for (String line : out.split("\\R")) {
                String trimmed = line.trim();
                if (trimmed.startsWith("java.specification.version = ")) {
                    return feature(trimmed.substring("java.specification.version = ".length()));
                }
            }
            return 0;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static int feature(String version) {
        String v = version.startsWith("1.") ? version.substring(2) : version;
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }
}
