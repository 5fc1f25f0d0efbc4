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
}
