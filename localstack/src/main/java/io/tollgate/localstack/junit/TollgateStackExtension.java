package io.tollgate.localstack.junit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Hands a running {@link KafkaStack} to test and lifecycle methods that declare a parameter of that type.
 * The stack is started once per test JVM, on first use, kept in the root store and stopped when the JVM's
 * tests are done. Which stack:
 * <ol>
 *   <li>{@code TOLLGATE_TEST_BOOTSTRAP_SERVERS} and {@code TOLLGATE_TEST_SCHEMA_REGISTRY_URL} set: that external stack;</li>
 *   <li>else, with Testcontainers on the class path and a Docker engine reachable: containers;</li>
 *   <li>else the embedded stack: a forked KRaft broker and the Apicurio registry, on free loopback ports.</li>
 * </ol>
 * {@code TOLLGATE_TEST_STACK=embedded|containers|external} (or the system property {@code tollgate.test.stack}) forces one.
 */
public final class TollgateStackExtension implements ParameterResolver {
    private static final Logger log = LoggerFactory.getLogger(TollgateStackExtension.class);
    public static final String BOOTSTRAP_ENV = "TOLLGATE_TEST_BOOTSTRAP_SERVERS";
    public static final String REGISTRY_ENV = "TOLLGATE_TEST_SCHEMA_REGISTRY_URL";
    public static final String MODE_ENV = "TOLLGATE_TEST_STACK";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TollgateStackExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        StackResource resource = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(StackResource.class, key -> new StackResource(), StackResource.class);
        return resource.stack();
    }

    /** Starts the stack once; a failure is remembered, so that every later test fails fast with the same cause. */
    static final class StackResource implements ExtensionContext.Store.CloseableResource {
        private AbstractStack stack;
        private RuntimeException failure;

        synchronized KafkaStack stack() {
            if (stack == null && failure == null) {
                try {
                    stack = startStack();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw new ParameterResolutionException("the Tollgate test stack could not be started: " + failure.getMessage(), failure);
            }
            return stack;
        }

        @Override
        public synchronized void close() {
            if (stack != null) {
                log.info("stopping the {} test stack", stack.mode().name().toLowerCase(Locale.ROOT));
                stack.close();
                stack = null;
            }
        }
    }

    static AbstractStack startStack() {
        String forced = firstNonBlank(System.getProperty("tollgate.test.stack"), System.getenv(MODE_ENV));
        String bootstrap = System.getenv(BOOTSTRAP_ENV);
        String registry = System.getenv(REGISTRY_ENV);
        boolean external = !isBlank(bootstrap) && !isBlank(registry);
        KafkaStack.Mode mode;
        if (forced != null) {
            mode = KafkaStack.Mode.valueOf(forced.trim().toUpperCase(Locale.ROOT));
        } else if (external) {
            mode = KafkaStack.Mode.EXTERNAL;
        } else if (dockerConfigured() && testcontainersPresent() && ContainersStack.dockerAvailable()) {
            mode = KafkaStack.Mode.CONTAINERS;
        } else {
            mode = KafkaStack.Mode.EMBEDDED;
        }
        return switch (mode) {
            case EXTERNAL -> {
                if (!external) {
                    throw new IllegalStateException("the external test stack needs " + BOOTSTRAP_ENV + " and " + REGISTRY_ENV);
                }
                log.info("using the external test stack: Kafka {}, schema registry {}", bootstrap, registry);
                yield new ExternalStack(bootstrap.trim(), registry.trim());
            }
            case CONTAINERS -> ContainersStack.start();
            case EMBEDDED -> EmbeddedStack.start();
        };
    }

    /** A cheap look before asking Testcontainers, which logs an error and takes seconds when there is no engine. */
    private static boolean dockerConfigured() {
        return !isBlank(System.getenv("DOCKER_HOST"))
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".docker", "run", "docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
    }

    private static boolean testcontainersPresent() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, TollgateStackExtension.class.getClassLoader());
            Class.forName("org.testcontainers.kafka.KafkaContainer", false, TollgateStackExtension.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static String firstNonBlank(String a, String b) {
        return !isBlank(a) ? a : !isBlank(b) ? b : null;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
