package io.tollgate.localstack.junit;

/** A stack someone else runs, named by environment variables; it cannot be stopped from here. */
final class ExternalStack extends AbstractStack {
    private final String bootstrapServers;
    private final String schemaRegistryUrl;

    ExternalStack(String bootstrapServers, String schemaRegistryUrl) {
        this.bootstrapServers = bootstrapServers;
        this.schemaRegistryUrl = schemaRegistryUrl.endsWith("/") ? schemaRegistryUrl.substring(0, schemaRegistryUrl.length() - 1) : schemaRegistryUrl;
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public String schemaRegistryUrl() {
        return schemaRegistryUrl;
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
        return Mode.EXTERNAL;
    }

    @Override
    public void close() {
        closeAdmin();
    }
}
