package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LogKvCommandTest {

    @Test
    void everyProcessRoleIsASubcommand() {
        CommandLine commands = new CommandLine(new LogKvCommand());
        assertThat(commands.getSubcommands()).containsKeys("local", "node", "rebuild", "mirror", "get", "put", "del", "scan", "watch", "ns");
        StringWriter usage = new StringWriter();
        commands.setOut(new PrintWriter(usage));
        assertThat(commands.execute("mirror", "--help")).isZero();
        assertThat(usage.toString()).contains("--source-region", "--target-bootstrap-servers", "--namespace-pattern");
    }

    @Test
    void localRunsOneOrTwoRegions() {
        CommandLine commands = new CommandLine(new LogKvCommand());
        StringWriter usage = new StringWriter();
        commands.setOut(new PrintWriter(usage));
        assertThat(commands.execute("local", "--help")).isZero();
        assertThat(usage.toString()).contains("--regions");
        assertThat(commands.execute("local", "--regions", "3")).as("refused before anything starts").isEqualTo(2);
    }

    @Test
    void localSecureRunsOneRegionApartFromAPlainRunsData() {
        CommandLine commands = new CommandLine(new LogKvCommand());
        StringWriter usage = new StringWriter();
        commands.setOut(new PrintWriter(usage));
        assertThat(commands.execute("local", "--help")).isZero();
        assertThat(usage.toString()).contains("--secure", "SASL_SSL");
        assertThat(commands.execute("local", "--secure", "--regions", "2")).as("refused before anything starts").isEqualTo(2);
        java.nio.file.Path data = java.nio.file.Path.of("data");
        assertThat(LocalCommand.runDirectory(data, true)).isEqualTo(data.resolve("secure"));
        assertThat(LocalCommand.runDirectory(data, false)).isEqualTo(data);
    }

    @Test
    void commandsThatTalkToANodeSendTheApiKeyTheyAreGiven() {
        CommandLine commands = new CommandLine(new LogKvCommand());
        for (String command : new String[] {"get", "put", "del", "scan", "watch", "ns", "rebuild"}) {
            assertThat(commands.getSubcommands().get(command).getUsageMessage()).as(command).contains("--api-key", "LOGKV_API_KEY");
        }
        KeyCommands.Get get = new KeyCommands.Get();
        new CommandLine(get).parseArgs("--api-key", "lkv_k", "greeting");
        java.net.http.HttpRequest request = get.target.credentials
                .applyTo(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:1/"))).build();
        assertThat(request.headers().firstValue("Authorization")).contains("ApiKey lkv_k");
    }

    @Test
    void localRunsItsNodesOpenUnlessTheirArgumentsConfigureSecurity() {
        java.nio.file.Path data = java.nio.file.Path.of("data");
        assertThat(LocalCommand.withLocalDefaults(data, java.util.List.of())).contains(LocalCommand.OPEN);
        assertThat(LocalCommand.withLocalDefaults(data, java.util.List.of("--logkv.security.mode=secured")))
                .doesNotContain(LocalCommand.OPEN).contains("--logkv.security.mode=secured");
    }
}
