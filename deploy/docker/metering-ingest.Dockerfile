# Image of metering-ingest. Build from the repository root after `./mvnw -DskipTests package`:
#   docker build -f deploy/docker/metering-ingest.Dockerfile -t tollgate/metering-ingest:0.1.0-SNAPSHOT .
FROM eclipse-temurin:21-jre

# curl only serves the HEALTHCHECK below; the Temurin images do not promise to ship it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

# A fixed non-root uid, so Kubernetes runAsUser/fsGroup and volume ownership can name it.
RUN groupadd --system --gid 10001 tollgate \
    && useradd --system --uid 10001 --gid tollgate --home-dir /app --shell /usr/sbin/nologin tollgate

WORKDIR /app
COPY metering-ingest/target/metering-ingest.jar /app/metering-ingest.jar

USER 10001:10001
# Inside a container the loopback default would make the service unreachable from other containers and pods.
ENV TOLLGATE_INGEST_HOST=0.0.0.0 \
    JDK_JAVA_OPTIONS="-XX:MaxRAMPercentage=75.0 -XX:+PerfDisableSharedMem"
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["java", "-jar", "/app/metering-ingest.jar"]
