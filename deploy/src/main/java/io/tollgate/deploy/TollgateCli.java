package io.tollgate.deploy;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code ./tollgate <command>}. Each command is its own picocli class, registered below, one line each.
 */
@Command(name = "tollgate", mixinStandardHelpOptions = true, version = "Tollgate 0.1.0",
        description = "Usage metering and real-time 402 decisions for API gateways, on Kafka Streams.")
public final class TollgateCli implements Runnable {
    /** Set by the ./tollgate script; else found from where this jar lives. */
    public static final String HOME_ENV = "TOLLGATE_HOME";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static CommandLine commandLine() {
        return new CommandLine(new TollgateCli())
                .addSubcommand(new UpCommand())
                .addSubcommand(new io.tollgate.deploy.demo.DemoCommand())
                .addSubcommand(new io.tollgate.deploy.bench.BenchCommand())
                .addSubcommand(new io.tollgate.deploy.finance.UsageCommand())
                .addSubcommand(new io.tollgate.deploy.finance.InvoiceCommand())
                .addSubcommand(new io.tollgate.deploy.finance.ReconcileCommand())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The repository root: {@value #HOME_ENV}, else the directory above {@code deploy/target/deploy.jar}, else the working directory. */
    public static Path repoRoot() {
        String home = System.getenv(HOME_ENV);
        if (home != null && !home.isBlank()) {
            return Path.of(home).toAbsolutePath().normalize();
        }
        try {
            var source = TollgateCli.class.getProtectionDomain().getCodeSource();
            if (source != null) {
                Path location = Path.of(source.getLocation().toURI()).toAbsolutePath();
                for (Path dir = location; dir != null; dir = dir.getParent()) {
                    if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("deploy"))) {
                        return dir;
                    }
                }
            }
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            // fall back to the working directory
        }
        return Path.of("").toAbsolutePath();
    }
}
