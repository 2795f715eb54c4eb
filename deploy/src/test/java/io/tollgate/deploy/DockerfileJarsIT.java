package io.tollgate.deploy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each Dockerfile copies exists once the build has packaged the services: a runnable jar at
 * {@code <module>/target/<module>.jar}. An IT because failsafe runs after {@code package}; in a reactor build
 * ({@code ./mvnw verify}) the service modules are packaged before deploy.
 */
@Tag("integration")
class DockerfileJarsIT {

    @Test
    void everyDockerfileCopiesARunnableJarThatTheBuildProduced() throws IOException {
        assertThat(DeploymentMaterialTest.dockerfiles()).isNotEmpty();
        for (var entry : DeploymentMaterialTest.dockerfiles().entrySet()) {
            Path jar = DeploymentMaterialTest.ROOT.resolve(entry.getValue().jarSource());

            assertThat(jar).as("%s (run ./mvnw -DskipTests package first)", jar).isRegularFile();
            try (JarFile file = new JarFile(jar.toFile())) {
                assertThat(file.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS))
                        .as("Main-Class of " + jar).startsWith("io.tollgate.");
            }
        }
    }
}
