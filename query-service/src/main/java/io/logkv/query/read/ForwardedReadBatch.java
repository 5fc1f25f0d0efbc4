package io.logkv.query.read;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The body of {@code POST /v1/internal/reads} and of its answer: many forwarded reads to one node in one
 * exchange (docs/formats.md, "Forwarded reads"). Each read is the request it would have been on its own
 * (path, query and headers, with its own time left), and each answer the status, headers and body it would
 * have had; so a batched read is served, relayed and checked exactly as a single forwarded one.
 *
 * <p>Layout, big-endian: a format byte ({@value #FORMAT}), a count, then per read a length-prefixed UTF-8
 * path and query and its headers (a count, then length-prefixed UTF-8 names and values); per answer a
 * status, its headers the same way, and a length-prefixed body.
 */
public final class ForwardedReadBatch {

    /** Where nodes send batches of forwarded reads. */
    public static final String PATH = "/v1/internal/reads";
    /** The largest batch body a node accepts. */
    public static final int MAX_BODY_BYTES = 8 * 1024 * 1024;
    /** The media type of both bodies. */
    public static final String MEDIA_TYPE = "application/vnd.logkv.forwarded-reads";
    public static final byte FORMAT = 1;
    private static final int MAX_HEADERS = 32;
    private static final int MAX_TEXT_BYTES = 64 * 1024;

    private ForwardedReadBatch() {
    }

    /** One forwarded read: its raw path and query, and its headers. */
    public record Read(String pathAndQuery, Map<String, String> headers) {
    }

    /** One answer: what the read would have been answered on its own. */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
    }

    public static byte[] encodeReads(List<Read> reads) {
        return write(out -> {
            out.writeInt(reads.size());
            for (Read read : reads) {
                text(out, read.pathAndQuery());
                headers(out, read.headers());
            }
        });
    }

    /**
     * The reads of a request body.
     *
     * @throws IllegalArgumentException when the body is not a batch of at most {@code maxReads} reads
     */
    public static List<Read> decodeReads(byte[] body, int maxReads) {
        return read(body, in -> {
            int count = count(in, maxReads, "reads");
            List<Read> reads = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                reads.add(new Read(text(in), headers(in)));
            }
            return reads;
        });
    }

    public static byte[] encodeAnswers(List<Answer> answers) {
        return write(out -> {
            out.writeInt(answers.size());
            for (Answer answer : answers) {
                out.writeShort(answer.status());
                headers(out, answer.headers());
                out.writeInt(answer.body().length);
                out.write(answer.body());
            }
        });
    }

    /**
     * The answers of a response body.
     *
     * @throws IllegalArgumentException when the body is not {@code expected} answers
     */
    public static List<Answer> decodeAnswers(byte[] body, int expected) {
        return read(body, in -> {
            int count = count(in, expected, "answers");
            if (count != expected) {
                throw new IllegalArgumentException(count + " answers to " + expected + " reads");
            }
            List<Answer> answers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int status = in.readUnsignedShort();
                Map<String, String> headers = headers(in);
                int length = in.readInt();
                if (length < 0 || length > in.available()) {
                    throw new IllegalArgumentException("an answer's body is cut short");
                }
                answers.add(new Answer(status, headers, in.readNBytes(length)));
            }
            return answers;
        });
    }

    private interface Writing {
        void to(DataOutputStream out) throws IOException;
    }

    private interface Reading<T> {
        T from(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writing body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            body.to(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] body, Reading<T> reading) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body))) {
            int format = in.readUnsignedByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown format " + format);
            }
            T value = reading.from(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException(in.available() + " bytes after the last item");
            }
            return value;
        } catch (EOFException e) {
            throw new IllegalArgumentException("the body is cut short");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int count(DataInputStream in, int max, String what) throws IOException {
        int count = in.readInt();
        if (count < 1 || count > max) {
            throw new IllegalArgumentException("from 1 to " + max + " " + what + " expected, not " + count);
        }
        return count;
    }

    private static void headers(DataOutputStream out, Map<String, String> headers) throws IOException {
        out.writeShort(headers.size());
        for (Map.Entry<String, String> header : headers.entrySet()) {
            text(out, header.getKey());
            text(out, header.getValue());
        }
    }

    /** Headers, looked up by name in any case; the map may be added to. */
    private static Map<String, String> headers(DataInputStream in) throws IOException {
        int count = in.readUnsignedShort();
        if (count > MAX_HEADERS) {
            throw new IllegalArgumentException("at most " + MAX_HEADERS + " headers, not " + count);
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < count; i++) {
            headers.put(text(in), text(in));
        }
        return headers;
    }

    private static void text(DataOutputStream out, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String text(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_TEXT_BYTES || length > in.available()) {
            throw new IllegalArgumentException("a text of " + length + " bytes");
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
