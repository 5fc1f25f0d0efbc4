package io.logkv.deployment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A container image tarball ({@code docker load} format, as Jib's buildTar writes it) unpacked into a root
 * filesystem the way a container runtime does, and programs started in it as a runtime would: in their own
 * PID and mount namespaces with {@code /proc} mounted, that root, the image's working directory, user and
 * environment, and nothing of the host's but {@code /etc/hosts}, {@code /etc/resolv.conf} and the devices
 * null, zero, full, random and urandom (which runtimes provide too). Needs root, GNU tar, {@code mknod} and
 * util-linux's {@code unshare}; {@link #unavailableBecause} says what is missing.
 */
final class UnpackedImage implements AutoCloseable {

    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";

    private final Path root;
    private final JsonNode config;

    private UnpackedImage(Path root, JsonNode config) {
        this.root = root;
        this.config = config;
    }

    /** Why programs cannot be run from an unpacked image here, or null if they can. */
    static String unavailableBecause() throws IOException, InterruptedException {
        if (!System.getProperty("os.name").startsWith("Linux")) {
            return "not Linux";
        }
        if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            return "not root (a new root directory, namespaces and another user need root)";
        }
        for (String program : List.of("tar", "unshare", "mknod")) {
            if (!ExternalTools.onPath(program)) {
                return program + " is not installed";
            }
        }
        if (!ExternalTools.run(List.of("unshare", "--help")).output().contains("--wd")) {
            return "this unshare cannot change the root and working directory (util-linux 2.36 or later can)";
        }
        return null;
    }

    /** Unpacks {@code tarball}'s layers in order into {@code root}, which is emptied first. */
    static UnpackedImage unpack(Path tarball, Path root) throws IOException, InterruptedException {
        FileSystemUtils.deleteRecursively(root);
        Path image = Files.createDirectories(root.resolveSibling(root.getFileName() + "-image"));
        try {
            tar(image, "-xf", tarball.toString());
            JsonMapper json = JsonMapper.builder().build();
            JsonNode manifest = json.readTree(image.resolve("manifest.json").toFile()).get(0);
            JsonNode config = json.readTree(image.resolve(manifest.get("Config").asString()).toFile()).path("config");
            Files.createDirectories(root);
            for (JsonNode layer : manifest.get("Layers")) {
                applyLayer(image.resolve(layer.asString()), root);
            }
            return new UnpackedImage(root, config);
        } finally {
            FileSystemUtils.deleteRecursively(image);
        }
    }

    /** Whiteouts first (files a layer deletes from the layers below it), then the layer's own files. */
    private static void applyLayer(Path layer, Path root) throws IOException, InterruptedException {
        List<String> whiteouts = tar(root, "-tzf", layer.toString()).lines()
                .filter(entry -> Path.of(entry).getFileName().toString().startsWith(WHITEOUT)).toList();
        for (String whiteout : whiteouts) {
            Path marker = root.resolve(whiteout).normalize();
            if (marker.getFileName().toString().equals(OPAQUE)) {
                try (Stream<Path> below = Files.list(marker.getParent())) {
                    for (Path file : below.toList()) {
                        FileSystemUtils.deleteRecursively(file);
                    }
                }
            } else {
                FileSystemUtils.deleteRecursively(marker.resolveSibling(marker.getFileName().toString().substring(WHITEOUT.length())));
            }
        }
        // As root, tar keeps the layer's owners and modes (/tmp world-writable, the loader executable).
        tar(root, "-xzf", layer.toString());
        for (String whiteout : whiteouts) {
            Files.deleteIfExists(root.resolve(whiteout));
        }
    }

    private static String tar(Path directory, String mode, String archive) throws IOException, InterruptedException {
        Process tar = new ProcessBuilder("tar", "--warning=no-unknown-keyword", mode, archive)
                .directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IOException("tar " + mode + " " + archive + " failed: " + output);
        }
        return output;
    }

    Path root() {
        return root;
    }

    /** The image's Entrypoint followed by its Cmd, as a runtime starts them when given no arguments. */
    List<String> entrypoint() {
        List<String> command = new ArrayList<>();
        config.path("Entrypoint").forEach(argument -> command.add(argument.asString()));
        config.path("Cmd").forEach(argument -> command.add(argument.asString()));
        return command;
    }

    String user() {
        return config.path("User").asString("");
    }

    String workingDirectory() {
        return config.path("WorkingDir").asString("/");
    }

    Map<String, String> environment() {
        Map<String, String> environment = new LinkedHashMap<>();
        for (JsonNode entry : config.path("Env")) {
            String[] nameAndValue = entry.asString().split("=", 2);
            environment.put(nameAndValue[0], nameAndValue.length > 1 ? nameAndValue[1] : "");
        }
        return environment;
    }

    /** Where in the image a runtime finds {@code program}: itself if a path, else through the image's PATH; null if nowhere. */
    String locate(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(inImage(program)) ? program : null;
        }
        for (String directory : environment().getOrDefault("PATH", "").split(":")) {
            String candidate = directory + "/" + program;
            if (!directory.isEmpty() && Files.isExecutable(inImage(candidate)) && !Files.isDirectory(inImage(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /** The host's path of a file in the image. */
    Path inImage(String path) {
        return root.resolve(path.replaceFirst("^/+", ""));
    }

    /**
     * A program of the image, ready to start as a runtime would start it, with {@code extraEnvironment} added
     * to the image's (as {@code docker run -e} does). The user must be numeric (uid:gid), as Jib writes it.
     */
    ProcessBuilder command(List<String> command, Map<String, String> extraEnvironment) throws IOException, InterruptedException {
        Files.createDirectories(inImage("/proc"));
        makeDevices();
        Path etc = Files.createDirectories(inImage("/etc"));
        for (String file : List.of("hosts", "resolv.conf")) {
            Path host = Path.of("/etc", file);
            if (Files.isRegularFile(host)) {
                Files.copy(host, etc.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String[] uidAndGid = (user().isEmpty() ? "0:0" : user()).split(":");
        List<String> arguments = new ArrayList<>(List.of(
                "unshare", "--pid", "--fork", "--mount-proc=/proc", "--root=" + root, "--wd=" + workingDirectory(),
                "--setgid=" + (uidAndGid.length > 1 ? uidAndGid[1] : uidAndGid[0]), "--setuid=" + uidAndGid[0]));
        arguments.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(arguments).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment());
        builder.environment().putAll(extraEnvironment);
        return builder;
    }

    /**
     * The character devices every runtime gives a container. Without /dev/urandom the JVM seeds SecureRandom
     * from thread timings, which takes seconds of CPU.
     */
    private void makeDevices() throws IOException, InterruptedException {
        Path dev = Files.createDirectories(inImage("/dev"));
        Map<String, String> devices = Map.of("null", "3", "zero", "5", "full", "7", "random", "8", "urandom", "9");
        for (Map.Entry<String, String> device : devices.entrySet()) {
            Path node = dev.resolve(device.getKey());
            if (!Files.exists(node)) {
                ExternalTools.Result mknod = ExternalTools.run(List.of("mknod", "-m", "666", node.toString(), "c", "1", device.getValue()));
                if (mknod.exitCode() != 0) {
                    throw new IOException("mknod " + node + " failed: " + mknod.output());
                }
            }
        }
    }

    @Override
    public void close() {
        FileSystemUtils.deleteRecursively(root.toFile());
    }
}
