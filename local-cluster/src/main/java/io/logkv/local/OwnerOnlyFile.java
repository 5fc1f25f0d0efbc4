package io.logkv.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files that hold secrets of the local cluster (generated passwords, configuration that carries them): readable
 * and writable by their owner only, POSIX mode 600 where the file system has modes. The file is created with
 * that mode before anything is written to it, so no other user can open it even for a moment.
 */
final class OwnerOnlyFile {

    private OwnerOnlyFile() {
    }

    /** Writes {@code content} to {@code file} whole or not at all, owner-only; replaces what was there. */
    static void write(Path file, String content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        if (hasPosixModes()) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(temporary);
            ownerOnlyWithoutModes(temporary.toFile());
        }
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Makes an existing file (one a tool wrote) owner-only. */
    static void restrict(Path file) throws IOException {
        if (hasPosixModes()) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } else {
            ownerOnlyWithoutModes(file.toFile());
        }
    }

    private static boolean hasPosixModes() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /** The best a file system without modes offers: take every right from everyone, give the owner's back. */
    private static void ownerOnlyWithoutModes(File file) {
        file.setReadable(false, false);
        file.setWritable(false, false);
        file.setReadable(true, true);
        file.setWritable(true, true);
    }
}
