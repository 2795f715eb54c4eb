package io.tollgate.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every plain consumer in main code is opened through {@code TopicReaders}, which reads {@code read_committed}: a
 * reader of a transactionally written topic never sees aborted records. Kafka Streams applications get the same from
 * {@code exactly_once_v2}. A source check, so that a new reader cannot forget it.
 */
class ReadersReadCommittedTest {

    @Test
    void noMainCodeOpensAKafkaConsumerExceptThroughTopicReaders() throws IOException {
        List<Path> sources = mainSources();
        assertThat(sources).as("main sources found under " + DeploymentMaterialTest.ROOT).hasSizeGreaterThan(100);

        List<String> offenders = sources.stream()
                .filter(file -> !file.endsWith(Path.of("io/tollgate/schemas/topics/TopicReaders.java")))
                .filter(file -> read(file).contains("new KafkaConsumer<"))
                .map(file -> DeploymentMaterialTest.ROOT.relativize(file).toString())
                .toList();

        assertThat(offenders).as("open consumers with TopicReaders.consumer(...)").isEmpty();
    }

    @Test
    void noMainCodeAsksForUncommittedReads() throws IOException {
        List<String> offenders = mainSources().stream()
                .filter(file -> read(file).contains("read_uncommitted") || read(file).contains("READ_UNCOMMITTED"))
                .map(file -> DeploymentMaterialTest.ROOT.relativize(file).toString())
                .toList();

        assertThat(offenders).isEmpty();
    }

    private static List<Path> mainSources() throws IOException {
        try (Stream<Path> files = Files.walk(DeploymentMaterialTest.ROOT)) {
            return files.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> file.toString().contains("/src/main/java/"))
                    .filter(file -> !file.toString().contains("/target/"))
                    .toList();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
