package io.tollgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment material (deploy/compose, deploy/k8s, deploy/docker) agrees with the contract: the ports of
 * SPEC §3, the topics of {@link Topics} and the modules of the build. Plain file checks, no Docker or cluster needed.
 */
class DeploymentMaterialTest {

    static final Path ROOT = repositoryRoot();
    private static final Path COMPOSE_FILE = ROOT.resolve("deploy/compose/docker-compose.yml");
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    static final Path DOCKER = ROOT.resolve("deploy/docker");

    /** SPEC §3: each service and the ports it serves, HTTP first. */
    private static final Map<String, List<Integer>> SERVICE_PORTS = Map.of(
            "metering-ingest", List.of(8080),
            "metering-streams", List.of(8070),
            "billing-service", List.of(8090, 9191));
    /** The setting that makes each service listen beyond loopback, as its config class names it. */
    private static final Map<String, String> HOST_SETTING = Map.of(
            "metering-ingest", "TOLLGATE_INGEST_HOST",
            "metering-streams", "TOLLGATE_STREAMS_HTTP_HOST",
            "billing-service", "TOLLGATE_BILLING_HOST");
    private static final String REGISTRY_PATH = "/apis/ccompat/v7";

    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void everyYamlFileParsesIntoOneOrMoreDocuments() {
        List<Path> files = yamlFilesUnder(ROOT.resolve("deploy/compose"), K8S);

        assertThat(files).contains(COMPOSE_FILE, K8S.resolve("kustomization.yaml"));
        for (Path file : files) {
            List<JsonNode> documents = documents(file);
            assertThat(documents).as(file.toString()).isNotEmpty()
                    .allSatisfy(doc -> assertThat(doc.isObject()).as("a mapping in " + file).isTrue());
        }
    }

    // ---- docker compose -------------------------------------------------------------------------------------

    @Test
    void composeRunsKraftKafkaOnPort9092WithItsControllerOn9093() {
        JsonNode kafka = composeService("kafka");
        JsonNode env = kafka.path("environment");

        assertThat(kafka.path("image").asText()).matches("apache/kafka:4\\.([1-9]|\\d{2,})\\.\\d+");
        assertThat(publishedPorts(kafka)).containsExactly(Map.entry(9092, 9092));
        assertThat(Set.of(env.path("KAFKA_PROCESS_ROLES").asText().split(","))).containsExactlyInAnyOrder("broker", "controller");
        assertThat(env.path("KAFKA_LISTENERS").asText()).contains("CONTROLLER://:9093", "://:9092");
        assertThat(env.path("KAFKA_CONTROLLER_LISTENER_NAMES").asText()).isEqualTo("CONTROLLER");
        assertThat(env.path("KAFKA_ADVERTISED_LISTENERS").asText()).contains("://localhost:9092", "://" + composeBootstrap());
        assertThat(env.path("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asText()).isEqualTo("1");
        assertThat(env.path("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR").asText()).isEqualTo("1");
        assertThat(kafka.path("healthcheck").path("test").isArray()).isTrue();
    }

    @Test
    void composeRunsApicurioOnKafkasqlWithTheConfluentApiOnPort8081() {
        JsonNode registry = composeService("schema-registry");
        JsonNode env = registry.path("environment");

        assertThat(registry.path("image").asText()).startsWith("apicurio/apicurio-registry:3.");
        assertThat(publishedPorts(registry)).containsExactly(Map.entry(8081, 8081));
        assertThat(env.path("QUARKUS_HTTP_PORT").asText()).isEqualTo("8081");
        assertThat(env.path("APICURIO_STORAGE_KIND").asText()).isEqualTo("kafkasql");
        assertThat(env.path("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS").asText()).isEqualTo(composeBootstrap());
        assertThat(env.path("APICURIO_CCOMPAT_USE_CANONICAL_HASH").asText()).isEqualTo("true");
        assertThat(env.path("APICURIO_RULES_GLOBAL_COMPATIBILITY").asText()).isEqualTo("BACKWARD");
        assertThat(registry.path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(String.join(" ", strings(registry.path("healthcheck").path("test")))).contains("/health/ready");
    }

    @Test
    void composeRunsEachServiceOnItsSpecPortsOnceKafkaRegistryAndTopicsAreThere() {
        for (var entry : SERVICE_PORTS.entrySet()) {
            String module = entry.getKey();
            List<Integer> ports = entry.getValue();
            JsonNode service = composeService(module);
            JsonNode env = service.path("environment");

            assertThat(COMPOSE_FILE.getParent().resolve(service.path("build").path("context").asText()).normalize())
                    .as(module + " build context").isEqualTo(ROOT);
            assertThat(service.path("build").path("dockerfile").asText()).isEqualTo("deploy/docker/" + module + ".Dockerfile");
            assertThat(service.path("image").asText()).startsWith("tollgate/" + module + ":");
            assertThat(publishedPorts(service)).as(module + " ports")
                    .containsExactlyElementsOf(ports.stream().map(p -> Map.entry(p, p)).toList());
            assertThat(env.path("KAFKA_BOOTSTRAP_SERVERS").asText()).as(module).isEqualTo(composeBootstrap());
            assertThat(env.path("SCHEMA_REGISTRY_URL").asText()).as(module)
                    .isEqualTo("http://schema-registry:8081" + REGISTRY_PATH);
            assertThat(env.path(HOST_SETTING.get(module)).asText()).as(module).isEqualTo("0.0.0.0");
            assertThat(String.join(" ", strings(service.path("healthcheck").path("test")))).as(module)
                    .contains("http://127.0.0.1:" + ports.get(0) + "/readyz");
            JsonNode dependsOn = service.path("depends_on");
            assertThat(dependsOn.path("kafka").path("condition").asText()).as(module).isEqualTo("service_healthy");
            assertThat(dependsOn.path("schema-registry").path("condition").asText()).as(module).isEqualTo("service_healthy");
            assertThat(dependsOn.path("topics").path("condition").asText()).as(module)
                    .isEqualTo("service_completed_successfully");
        }
    }

    @Test
    void composeKeepsStreamsStateInANamedVolumeAtTheStateDir() {
        JsonNode streams = composeService("metering-streams");
        String stateDir = streams.path("environment").path("TOLLGATE_STATE_DIR").asText();

        assertThat(stateDir).startsWith("/");
        String volume = strings(streams.path("volumes")).stream()
                .filter(v -> v.endsWith(":" + stateDir)).findFirst().orElseThrow(() ->
                        new AssertionError("no volume mounted at TOLLGATE_STATE_DIR " + stateDir));
        String volumeName = volume.substring(0, volume.indexOf(':'));
        assertThat(compose().path("volumes").has(volumeName)).as("top-level volume " + volumeName).isTrue();
        assertThat(streams.path("environment").path("TOLLGATE_STREAMS_ADVERTISED_HOST").asText())
                .as("application.server host: the compose service name").isEqualTo("metering-streams");
    }

    @Test
    void composeBillingTakesAdminTokensFromTheEnvironmentAndShipsNone() {
        String tokens = composeService("billing-service").path("environment").path("TOLLGATE_ADMIN_TOKENS").asText();

        assertThat(tokens).startsWith("${TOLLGATE_ADMIN_TOKENS:?");
    }

    @Test
    void composeCreatesEveryTopicOfTheContractWithItsPartitionsAndPolicies() {
        JsonNode topics = composeService("topics");
        List<String> commands = strings(topics.path("command")).stream()
                .flatMap(String::lines).map(String::strip).filter(line -> line.contains("--create")).toList();

        assertThat(topics.path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(commands).allSatisfy(line -> assertThat(line)
                .contains("--bootstrap-server " + composeBootstrap(), "--if-not-exists", "--replication-factor 1"));
        Map<String, TopicShape> created = new TreeMap<>();
        for (String line : commands) {
            String name = option(line, "--topic");
            Map<String, String> configs = new HashMap<>();
            Matcher config = Pattern.compile("--config (\\S+)=(\\S+)").matcher(line);
            while (config.find()) {
                configs.put(config.group(1), config.group(2));
            }
            assertThat(created.put(name, TopicShape.of(Integer.parseInt(option(line, "--partitions")), configs)))
                    .as("topic created twice: " + name).isNull();
        }
        assertThat(created).isEqualTo(contractTopics());
    }

    @Test
    void everyTollgateVariableSetForAServiceIsASettingThatServiceDefines() {
        Map<String, Set<String>> variables = new TreeMap<>();
        for (String module : SERVICE_PORTS.keySet()) {
            Set<String> names = new TreeSet<>();
            composeService(module).path("environment").fieldNames().forEachRemaining(names::add);
            env(podOf(module).path("spec").path("containers").get(0)).keySet().forEach(names::add);
            dockerfiles().get(module).all("ENV").forEach(e -> Stream.of(e.split("\\s+"))
                    .filter(kv -> kv.contains("=")).map(kv -> kv.substring(0, kv.indexOf('='))).forEach(names::add));
            names.removeIf(name -> !name.startsWith("TOLLGATE_"));
            variables.put(module, names);
        }

        assertThat(variables.get("metering-streams")).contains("TOLLGATE_STATE_DIR");
        variables.forEach((module, names) -> {
            String sources = javaSources(ROOT.resolve(module).resolve("src/main/java"))
                    + javaSources(ROOT.resolve("service-runtime/src/main/java"));
            List<String> undefined = names.stream()
                    .filter(name -> !sources.contains('"' + name.toLowerCase(Locale.ROOT).replace('_', '.') + '"')).toList();
            assertThat(undefined).as(module + ": variables whose setting (tollgate.*) its sources do not define").isEmpty();
        });
    }

    // ---- Kubernetes -----------------------------------------------------------------------------------------

    @Test
    void kustomizationListsEveryManifestAndTheServiceImages() {
        JsonNode kustomization = documents(K8S.resolve("kustomization.yaml")).get(0);
        Set<String> manifests = yamlFilesUnder(K8S).stream().map(p -> K8S.relativize(p).toString())
                .filter(name -> !name.equals("kustomization.yaml")).collect(Collectors.toCollection(TreeSet::new));

        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        assertThat(new TreeSet<>(strings(kustomization.path("resources")))).isEqualTo(manifests);
        assertThat(kustomization.path("images").findValuesAsText("name"))
                .containsExactlyInAnyOrderElementsOf(SERVICE_PORTS.keySet().stream().map(m -> "tollgate/" + m).toList());
    }

    @Test
    void kubernetesKafkaIsAKraftClusterWithADualRoleNodePool() {
        JsonNode kafka = only("Kafka");
        JsonNode pool = only("KafkaNodePool");
        String cluster = kafka.path("metadata").path("name").asText();

        assertThat(kafka.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1");
        assertThat(pool.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1");
        assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo(cluster);
        assertThat(strings(pool.path("spec").path("roles"))).containsExactlyInAnyOrder("controller", "broker");
        assertThat(kafka.path("spec").path("entityOperator").has("topicOperator")).as("topic operator for KafkaTopics").isTrue();
        assertThat(kafka.path("spec").path("kafka").path("config").path("transaction.state.log.min.isr").asInt())
                .isLessThanOrEqualTo(pool.path("spec").path("replicas").asInt());
        assertThat(configMapValue("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo(cluster + "-kafka-bootstrap:" + plainListenerPort(kafka));
    }

    @Test
    void kubernetesKafkaTopicsMatchTheContract() {
        String cluster = only("Kafka").path("metadata").path("name").asText();
        int brokers = only("KafkaNodePool").path("spec").path("replicas").asInt();
        Map<String, TopicShape> declared = new TreeMap<>();

        for (JsonNode topic : k8s("KafkaTopic")) {
            JsonNode spec = topic.path("spec");
            String name = spec.has("topicName") ? spec.path("topicName").asText() : topic.path("metadata").path("name").asText();
            Map<String, String> configs = new HashMap<>();
            spec.path("config").fields().forEachRemaining(c -> configs.put(c.getKey(), c.getValue().asText()));

            assertThat(topic.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1");
            assertThat(topic.path("metadata").path("labels").path("strimzi.io/cluster").asText()).as(name).isEqualTo(cluster);
            assertThat(spec.path("replicas").asInt()).as(name).isBetween(1, brokers);
            assertThat(declared.put(name, TopicShape.of(spec.path("partitions").asInt(), configs)))
                    .as("topic declared twice: " + name).isNull();
        }
        assertThat(declared).isEqualTo(contractTopics());
    }

    @Test
    void kubernetesStreamsIsAStatefulSetWithAStateVolumeAndAHeadlessServiceForApplicationServer() {
        JsonNode statefulSet = named("StatefulSet", "metering-streams");
        JsonNode pod = statefulSet.path("spec").path("template");
        JsonNode container = pod.path("spec").path("containers").get(0);
        Map<String, JsonNode> env = env(container);
        String claim = statefulSet.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText();
        String stateDir = env.get("TOLLGATE_STATE_DIR").path("value").asText();
        String serviceName = statefulSet.path("spec").path("serviceName").asText();
        JsonNode headless = named("Service", serviceName);

        assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).contains(stateDir);
        assertThat(mountPathOf(container, claim)).isEqualTo(stateDir);
        assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
        assertThat(selects(headless, pod)).isTrue();
        assertThat(env.get("POD_NAME").path("valueFrom").path("fieldRef").path("fieldPath").asText()).isEqualTo("metadata.name");
        assertThat(env.get("TOLLGATE_STREAMS_ADVERTISED_HOST").path("value").asText())
                .isEqualTo("$(POD_NAME)." + serviceName + ".$(POD_NAMESPACE).svc");
        assertThat(env.get("POD_NAMESPACE").path("valueFrom").path("fieldRef").path("fieldPath").asText())
                .isEqualTo("metadata.namespace");
        assertServesSpecPortsWithProbes("metering-streams", pod);
    }

    @Test
    void kubernetesIngestAndBillingAreDeploymentsWithProbesAndServices() {
        for (String module : List.of("metering-ingest", "billing-service")) {
            JsonNode pod = named("Deployment", module).path("spec").path("template");

            assertServesSpecPortsWithProbes(module, pod);
        }
    }

    @Test
    void kubernetesBillingTakesAdminTokensFromTheSecret() {
        JsonNode container = named("Deployment", "billing-service").path("spec").path("template").path("spec")
                .path("containers").get(0);
        JsonNode ref = env(container).get("TOLLGATE_ADMIN_TOKENS").path("valueFrom").path("secretKeyRef");
        JsonNode secret = named("Secret", ref.path("name").asText());

        assertThat(secret.path("stringData").has(ref.path("key").asText()) || secret.path("data").has(ref.path("key").asText()))
                .as("secret " + ref.path("name").asText() + " has key " + ref.path("key").asText()).isTrue();
    }

    @Test
    void kubernetesBillingTakesDecisionTokensAndStreamsTheAdminTokensFromSecrets() {
        JsonNode billing = named("Deployment", "billing-service").path("spec").path("template").path("spec").path("containers").get(0);
        JsonNode streams = named("StatefulSet", "metering-streams").path("spec").path("template").path("spec").path("containers").get(0);

        for (JsonNode ref : List.of(env(billing).get("TOLLGATE_DECISION_TOKENS").path("valueFrom").path("secretKeyRef"),
                env(streams).get("TOLLGATE_ADMIN_TOKENS").path("valueFrom").path("secretKeyRef"))) {
            JsonNode secret = named("Secret", ref.path("name").asText());
            assertThat(secret.path("stringData").has(ref.path("key").asText()))
                    .as("secret " + ref.path("name").asText() + " has key " + ref.path("key").asText()).isTrue();
        }
    }

    @Test
    void composeRequiresDecisionTokensForBillingAndAdminTokensForStreams() {
        assertThat(composeService("billing-service").path("environment").path("TOLLGATE_DECISION_TOKENS").asText())
                .startsWith("${TOLLGATE_DECISION_TOKENS:?");
        assertThat(composeService("metering-streams").path("environment").path("TOLLGATE_ADMIN_TOKENS").asText())
                .startsWith("${TOLLGATE_ADMIN_TOKENS:?");
    }

    @Test
    void kubernetesServicesReadKafkaAndTheRegistryFromTheConfigMap() {
        String configMap = k8s("ConfigMap").get(0).path("metadata").path("name").asText();
        String registryUrl = configMapValue("SCHEMA_REGISTRY_URL");
        Matcher url = Pattern.compile("http://([a-z0-9-]+):(\\d+)(/.*)").matcher(registryUrl);

        assertThat(url.matches()).as(registryUrl).isTrue();
        assertThat(url.group(3)).isEqualTo(REGISTRY_PATH);
        assertThat(named("Service", url.group(1)).path("spec").path("ports").findValuesAsText("port"))
                .contains(url.group(2));
        JsonNode registry = named("Deployment", url.group(1)).path("spec").path("template").path("spec")
                .path("containers").get(0);
        assertThat(registry.path("image").asText()).startsWith("apicurio/apicurio-registry:3.");
        assertThat(env(registry).get("APICURIO_STORAGE_KIND").path("value").asText()).isEqualTo("kafkasql");
        assertThat(env(registry).get("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS").path("value").asText())
                .isEqualTo(configMapValue("KAFKA_BOOTSTRAP_SERVERS"));
        assertThat(env(registry).get("APICURIO_CCOMPAT_USE_CANONICAL_HASH").path("value").asText()).isEqualTo("true");
        assertThat(env(registry).get("APICURIO_RULES_GLOBAL_COMPATIBILITY").path("value").asText()).isEqualTo("BACKWARD");
        for (String module : SERVICE_PORTS.keySet()) {
            JsonNode container = podOf(module).path("spec").path("containers").get(0);
            assertThat(container.path("envFrom").findValuesAsText("name")).as(module).contains(configMap);
            assertThat(container.path("image").asText()).as(module).startsWith("tollgate/" + module + ":");
            assertThat(env(container).get(HOST_SETTING.get(module)).path("value").asText()).as(module).isEqualTo("0.0.0.0");
        }
    }

    // ---- Dockerfiles ----------------------------------------------------------------------------------------

    @Test
    void everyServiceHasOneDockerfileAndEachNamesAModuleOfTheBuild() {
        Set<String> modules = parentModules();

        assertThat(dockerfiles().keySet()).containsExactlyInAnyOrderElementsOf(SERVICE_PORTS.keySet());
        assertThat(modules).containsAll(dockerfiles().keySet());
        for (String module : dockerfiles().keySet()) {
            assertThat(xmlTexts(ROOT.resolve(module).resolve("pom.xml"), "finalName")).as(module + " shaded jar name")
                    .contains(module);
        }
    }

    @Test
    void everyDockerfileRunsItsModuleJarAsNonRootOnTheSpecPorts() {
        for (var entry : dockerfiles().entrySet()) {
            String module = entry.getKey();
            Dockerfile dockerfile = entry.getValue();
            int httpPort = SERVICE_PORTS.get(module).get(0);

            assertThat(dockerfile.all("FROM")).as(module).containsExactly("eclipse-temurin:21-jre");
            assertThat(dockerfile.all("COPY")).as(module).containsExactly(dockerfile.jarSource() + " /app/" + module + ".jar");
            assertThat(dockerfile.jarSource()).isEqualTo(module + "/target/" + module + ".jar");
            assertThat(dockerfile.all("ENTRYPOINT")).as(module)
                    .containsExactly("[\"java\", \"-jar\", \"/app/" + module + ".jar\"]");
            assertThat(dockerfile.all("USER")).as(module).hasSize(1)
                    .allSatisfy(user -> assertThat(user.split(":")[0]).isNotIn("root", "0"));
            assertThat(dockerfile.all("EXPOSE").stream().flatMap(e -> Stream.of(e.split("\\s+"))).map(Integer::valueOf))
                    .as(module).containsExactlyElementsOf(SERVICE_PORTS.get(module));
            assertThat(dockerfile.all("HEALTHCHECK")).as(module).singleElement().asString()
                    .contains("http://127.0.0.1:" + httpPort + "/readyz");
            assertThat(dockerfile.all("ENV")).as(module).anySatisfy(e -> assertThat(e).contains(HOST_SETTING.get(module) + "=0.0.0.0"));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** A topic as deployments declare it: partitions, cleanup policy and the other topic configs. */
    record TopicShape(int partitions, String cleanupPolicy, Map<String, String> configs) {
        static TopicShape of(int partitions, Map<String, String> allConfigs) {
            Map<String, String> others = new TreeMap<>(allConfigs);
            String policy = others.remove("cleanup.policy");
            return new TopicShape(partitions, policy, others);
        }

        static TopicShape of(TopicSpec spec) {
            return new TopicShape(spec.partitions(), spec.cleanupPolicy(), new TreeMap<>(spec.configs()));
        }
    }

    /** The instructions of one Dockerfile, continuation lines joined, comments dropped. */
    record Dockerfile(List<Map.Entry<String, String>> instructions) {
        static Dockerfile parse(Path file) {
            String joined = read(file).lines().filter(line -> !line.strip().startsWith("#"))
                    .collect(Collectors.joining("\n")).replaceAll("\\\\\n", " ");
            List<Map.Entry<String, String>> instructions = joined.lines().map(String::strip).filter(l -> !l.isEmpty())
                    .map(l -> l.split("\\s+", 2))
                    .map(p -> Map.entry(p[0].toUpperCase(), p.length > 1 ? p[1].strip().replaceAll("\\s+", " ") : ""))
                    .toList();
            return new Dockerfile(instructions);
        }

        List<String> all(String instruction) {
            return instructions.stream().filter(i -> i.getKey().equals(instruction)).map(Map.Entry::getValue).toList();
        }

        /** The source of the single COPY: the shaded jar, relative to the build context (the repository root). */
        String jarSource() {
            List<String> copies = all("COPY");
            if (copies.size() != 1) {
                throw new AssertionError("expected one COPY, found " + copies);
            }
            return copies.get(0).split(" ")[0];
        }
    }

    /** Module name to its Dockerfile, from deploy/docker/&lt;module&gt;.Dockerfile. */
    static Map<String, Dockerfile> dockerfiles() {
        try (Stream<Path> files = Files.list(DOCKER)) {
            Map<String, Dockerfile> out = new TreeMap<>();
            files.filter(p -> p.getFileName().toString().endsWith(".Dockerfile"))
                    .forEach(p -> out.put(p.getFileName().toString().replace(".Dockerfile", ""), Dockerfile.parse(p)));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, TopicShape> contractTopics() {
        Map<String, TopicShape> out = new TreeMap<>();
        Topics.ALL.forEach(spec -> out.put(spec.name(), TopicShape.of(spec)));
        return out;
    }

    private static void assertServesSpecPortsWithProbes(String module, JsonNode pod) {
        JsonNode container = pod.path("spec").path("containers").get(0);
        List<Integer> specPorts = SERVICE_PORTS.get(module);
        int httpPort = specPorts.get(0);
        JsonNode service = named("Service", module);

        assertThat(container.path("ports").findValuesAsText("containerPort").stream().map(Integer::valueOf))
                .as(module + " container ports").containsExactlyElementsOf(specPorts);
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).as(module).isEqualTo("/readyz");
        assertThat(containerPort(container, container.path("readinessProbe").path("httpGet").path("port"))).isEqualTo(httpPort);
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).as(module).isEqualTo("/healthz");
        assertThat(containerPort(container, container.path("livenessProbe").path("httpGet").path("port"))).isEqualTo(httpPort);
        assertThat(selects(service, pod)).as(module + " service selects its pods").isTrue();
        assertThat(service.path("spec").path("ports").findValuesAsText("port").stream().map(Integer::valueOf))
                .as(module + " service ports").containsExactlyElementsOf(specPorts);
    }

    private static int containerPort(JsonNode container, JsonNode port) {
        if (port.isInt()) {
            return port.asInt();
        }
        for (JsonNode declared : container.path("ports")) {
            if (declared.path("name").asText().equals(port.asText())) {
                return declared.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no container port named " + port.asText());
    }

    private static String mountPathOf(JsonNode container, String volume) {
        for (JsonNode mount : container.path("volumeMounts")) {
            if (mount.path("name").asText().equals(volume)) {
                return mount.path("mountPath").asText();
            }
        }
        throw new AssertionError("volume " + volume + " is not mounted");
    }

    private static boolean selects(JsonNode service, JsonNode podTemplate) {
        JsonNode selector = service.path("spec").path("selector");
        JsonNode labels = podTemplate.path("metadata").path("labels");
        List<Boolean> matches = new ArrayList<>();
        selector.fields().forEachRemaining(s -> matches.add(labels.path(s.getKey()).asText().equals(s.getValue().asText())));
        return !matches.isEmpty() && !matches.contains(false);
    }

    private static Map<String, JsonNode> env(JsonNode container) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        container.path("env").forEach(e -> out.put(e.path("name").asText(), e));
        return out;
    }

    private static JsonNode podOf(String module) {
        return k8s().stream()
                .filter(d -> Set.of("Deployment", "StatefulSet").contains(d.path("kind").asText()))
                .filter(d -> d.path("metadata").path("name").asText().equals(module))
                .findFirst().orElseThrow(() -> new AssertionError("no workload " + module)).path("spec").path("template");
    }

    private static String configMapValue(String key) {
        List<JsonNode> configMaps = k8s("ConfigMap");
        assertThat(configMaps).hasSize(1);
        return configMaps.get(0).path("data").path(key).asText();
    }

    private static int plainListenerPort(JsonNode kafka) {
        for (JsonNode listener : kafka.path("spec").path("kafka").path("listeners")) {
            if (listener.path("type").asText().equals("internal") && !listener.path("tls").asBoolean()) {
                return listener.path("port").asInt();
            }
        }
        throw new AssertionError("no internal plain listener");
    }

    private static JsonNode only(String kind) {
        List<JsonNode> found = k8s(kind);
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    private static JsonNode named(String kind, String name) {
        return k8s(kind).stream().filter(d -> d.path("metadata").path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in " + K8S));
    }

    private static List<JsonNode> k8s(String kind) {
        return k8s().stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    private static List<JsonNode> k8s() {
        return yamlFilesUnder(K8S).stream().filter(p -> !p.endsWith("kustomization.yaml"))
                .flatMap(p -> documents(p).stream()).toList();
    }

    private static JsonNode compose() {
        return documents(COMPOSE_FILE).get(0);
    }

    private static JsonNode composeService(String name) {
        JsonNode service = compose().path("services").path(name);
        assertThat(service.isObject()).as("compose service " + name).isTrue();
        return service;
    }

    /** The address containers of the compose file use to reach Kafka, from its advertised listeners. */
    private static String composeBootstrap() {
        String advertised = composeService("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        return Stream.of(advertised.split(",")).map(l -> l.substring(l.indexOf("://") + 3))
                .filter(address -> address.startsWith("kafka:")).findFirst()
                .orElseThrow(() -> new AssertionError("no listener advertised as kafka:PORT in " + advertised));
    }

    /** Host port to container port, from short-syntax entries such as "${ADDR:-127.0.0.1}:8080:8080". */
    private static List<Map.Entry<Integer, Integer>> publishedPorts(JsonNode service) {
        Pattern hostAndContainer = Pattern.compile("(\\d+):(\\d+)$");
        return strings(service.path("ports")).stream().map(p -> {
            Matcher m = hostAndContainer.matcher(p);
            if (!m.find()) {
                throw new AssertionError("unreadable port entry " + p);
            }
            return Map.entry(Integer.valueOf(m.group(1)), Integer.valueOf(m.group(2)));
        }).toList();
    }

    private static String option(String command, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + " (\\S+)").matcher(command);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in " + command);
        }
        return m.group(1);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<JsonNode> documents(Path file) {
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
            return values.readAll().stream().filter(d -> d != null && !d.isMissingNode() && !d.isNull()).toList();
        } catch (IOException e) {
            throw new AssertionError("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> yamlFilesUnder(Path... dirs) {
        List<Path> out = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile)
                        .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                        .sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static Set<String> parentModules() {
        return new TreeSet<>(xmlTexts(ROOT.resolve("pom.xml"), "module"));
    }

    private static List<String> xmlTexts(Path pom, String element) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
            NodeList nodes = doc.getElementsByTagName(element);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                out.add(nodes.item(i).getTextContent().strip());
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError("cannot read " + pom + ": " + e.getMessage(), e);
        }
    }

    private static String javaSources(Path dir) {
        if (!Files.isDirectory(dir)) {
            return "";
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().map(DeploymentMaterialTest::read)
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("deploy/compose"))) {
                return dir;
            }
        }
        throw new IllegalStateException("run from inside the Tollgate repository: no pom.xml with deploy/compose above "
                + Path.of("").toAbsolutePath());
    }
}
