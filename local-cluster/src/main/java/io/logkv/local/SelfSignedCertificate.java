package io.logkv.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The TLS identity of a secure local cluster's brokers: a self-signed certificate for {@code localhost} (subject
 * alternative names {@code dns:localhost} and {@code ip:127.0.0.1}, so that clients verify the host name as
 * they would in production) with its key in a PKCS12 keystore, and a PKCS12 truststore holding the certificate
 * for the clients. Made with the JDK's {@code keytool}; the passwords reach it through its environment
 * ({@code -storepass:env}), not its command line, which {@code ps} shows to every user.
 */
final class SelfSignedCertificate {

    static final String ALIAS = "localhost";
    private static final String KEYSTORE_PASSWORD_VARIABLE = "LOGKV_KEYSTORE_PASSWORD";
    private static final String TRUSTSTORE_PASSWORD_VARIABLE = "LOGKV_TRUSTSTORE_PASSWORD";
    private static final int VALIDITY_DAYS = 3650;
    private static final long KEYTOOL_TIMEOUT_SECONDS = 60;

    private SelfSignedCertificate() {
    }

    /**
     * Creates the keystore (owner-only: it holds the private key) and the truststore, replacing either if it
     * exists. Both are written under temporary names first, so an interrupted run leaves no half-made pair.
     */
    static void create(Path keytool, Path keystore, String keystorePassword, Path truststore, String truststorePassword)
            throws IOException, InterruptedException {
        if (!Files.isExecutable(keytool)) {
            throw new IllegalStateException("no keytool at " + keytool + "; --secure needs the JDK's keytool beside its java");
        }
        Path newKeystore = keystore.resolveSibling(keystore.getFileName() + ".new");
        Path newTruststore = truststore.resolveSibling(truststore.getFileName() + ".new");
        Path certificate = keystore.resolveSibling(ALIAS + ".crt");
        for (Path leftover : List.of(newKeystore, newTruststore, certificate)) {
            Files.deleteIfExists(leftover);
        }
        run(keytool, keystorePassword, truststorePassword, "-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048",
                "-validity", String.valueOf(VALIDITY_DAYS), "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-keystore", newKeystore.toString(), "-storetype", "PKCS12",
                "-storepass:env", KEYSTORE_PASSWORD_VARIABLE, "-keypass:env", KEYSTORE_PASSWORD_VARIABLE);
        OwnerOnlyFile.restrict(newKeystore);
        run(keytool, keystorePassword, truststorePassword, "-exportcert", "-rfc", "-alias", ALIAS,
                "-keystore", newKeystore.toString(), "-storetype", "PKCS12", "-storepass:env", KEYSTORE_PASSWORD_VARIABLE,
                "-file", certificate.toString());
        run(keytool, keystorePassword, truststorePassword, "-importcert", "-noprompt", "-alias", ALIAS, "-file", certificate.toString(),
                "-keystore", newTruststore.toString(), "-storetype", "PKCS12", "-storepass:env", TRUSTSTORE_PASSWORD_VARIABLE);
        Files.move(newKeystore, keystore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(newTruststore, truststore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void run(Path keytool, String keystorePassword, String truststorePassword, String... arguments)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(KEYSTORE_PASSWORD_VARIABLE, keystorePassword);
        builder.environment().put(TRUSTSTORE_PASSWORD_VARIABLE, truststorePassword);
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        Process process = builder.start();
        process.getOutputStream().close();
        // keytool writes a few lines only; reading them all before waiting cannot block on a full pipe.
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("keytool " + arguments[0] + " did not finish within " + KEYTOOL_TIMEOUT_SECONDS + " s");
        }
        if (process.exitValue() != 0) {
            throw new IOException("keytool " + arguments[0] + " failed (exit code " + process.exitValue() + "): " + output);
        }
    }
}
