package io.logkv.local;

import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bin/logkv}: LogKV's command line. Each job is a subcommand: {@code local} runs Kafka and LogKV on
 * this machine, {@code node} runs one LogKV node against any Kafka, {@code mirror} copies namespaces from
 * their home region's Kafka into another region's.
 */
@Command(name = "logkv",
        description = "LogKV: a key-value store whose truth is a replicated Kafka log.",
        subcommands = {LocalCommand.class, NodeCommand.class, RebuildCommand.class, io.logkv.mirror.MirrorMain.class,
                KeyCommands.Get.class, KeyCommands.Put.class, KeyCommands.Del.class, KeyCommands.Scan.class, KeyCommands.Watch.class,
                NamespaceCommand.class, PromoteCommand.class, ReleaseCopyCommand.class,
                CommandLine.HelpCommand.class})
public final class LogKvCommand implements Runnable {

    private static final String LOGBACK_CONFIGURATION = "logback.configurationFile";

    @Spec
    CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        quietLauncherLogging();
        int exitCode = 1;
        try {
            exitCode = new CommandLine(new LogKvCommand()).execute(args);
        } catch (Throwable unexpected) {
            unexpected.printStackTrace();
        } finally {
            // Always exit, whatever went wrong: the exit runs the shutdown hook that stops the Kafka brokers,
            // which a live non-daemon thread would otherwise keep running.
            System.exit(exitCode);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Until Spring Boot configures logging for the LogKV node, logback would print at DEBUG level to the
     * console. The property is removed again once read, because Spring Boot warns about it.
     */
    private static void quietLauncherLogging() {
        if (System.getProperty(LOGBACK_CONFIGURATION) == null) {
            System.setProperty(LOGBACK_CONFIGURATION, "io/logkv/local/launcher-logback.xml");
            LoggerFactory.getILoggerFactory();
            System.clearProperty(LOGBACK_CONFIGURATION);
        }
    }
}
