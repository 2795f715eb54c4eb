package io.tollgate.localstack.junit;

import io.tollgate.localstack.ApicurioRegistry;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Kafka and Apicurio in containers. Only loaded when Testcontainers is on the test class path (it is an
 * optional dependency) and a Docker engine answers. Images: {@code TOLLGATE_TEST_KAFKA_IMAGE} (default
 * {@value #DEFAULT_KAFKA_IMAGE}), {@code TOLLGATE_TEST_REGISTRY_IMAGE} (default {@value #DEFAULT_REGISTRY_IMAGE}).
 */
final class ContainersStack extends AbstractStack {
    private static final Logger log = LoggerFactory.getLogger(ContainersStack.class);
    static final String DEFAULT_KAFKA_IMAGE = "apache/kafka:4.1.0";
    static final String DEFAULT_REGISTRY_IMAGE = "apicurio/apicurio-registry:" + ApicurioRegistry.VERSION;

    private final KafkaContainer kafka;
    private final GenericContainer<?> registry;

    private ContainersStack(KafkaContainer kafka, GenericContainer<?> registry) {
        this.kafka = kafka;
        this.registry = registry;
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @SuppressWarnings("resource")
    static ContainersStack start() {
        String kafkaImage = env("TOLLGATE_TEST_KAFKA_IMAGE", DEFAULT_KAFKA_IMAGE);
        String registryImage = env("TOLLGATE_TEST_REGISTRY_IMAGE", DEFAULT_REGISTRY_IMAGE);
        log.info("starting Kafka ({}) and schema registry ({}) containers", kafkaImage, registryImage);
        KafkaContainer kafka = new KafkaContainer(DockerImageName.parse(kafkaImage));
        GenericContainer<?> registry = new GenericContainer<>(DockerImageName.parse(registryImage))
                .withExposedPorts(8080)
                .withEnv("APICURIO_CCOMPAT_USE_CANONICAL_HASH", "true")
                .withEnv("APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD")
                .withEnv("APICURIO_REST_DELETION_ARTIFACT_ENABLED", "true")
                .withEnv("APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED", "true")
                .waitingFor(Wait.forHttp(ApicurioRegistry.CONFLUENT_PATH + "/subjects").forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(3)));
        try {
            kafka.start();
            registry.start();
        } catch (RuntimeException e) {
            registry.stop();
            kafka.stop();
            throw e;
        }
        return new ContainersStack(kafka, registry);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    @Override
    public String bootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public String schemaRegistryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(8080) + ApicurioRegistry.CONFLUENT_PATH;
    }

    @Override
    public void stopBroker() {
        throw notEmbedded("stopBroker()");
    }

    @Override
    public void killBroker() {
        throw notEmbedded("killBroker()");
    }

    @Override
    public void startBroker() {
        throw notEmbedded("startBroker()");
    }

    @Override
    public void freezeBroker() {
        throw notEmbedded("freezeBroker()");
    }

    @Override
    public void thawBroker() {
        throw notEmbedded("thawBroker()");
    }

    @Override
    public Mode mode() {
        return Mode.CONTAINERS;
    }

    @Override
    public void close() {
        closeAdmin();
        registry.stop();
        kafka.stop();
    }
}
