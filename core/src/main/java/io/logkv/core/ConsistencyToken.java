package io.logkv.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A client's knowledge of the log: for each (namespace, partition) it has seen, the position it has seen.
 * A read that carries a token is served only by a replica that has applied at least those positions.
 *
 * <p>Tokens merge by taking the highest position per partition, so a client can hold one token for all
 * of its namespaces. The text form is URL-safe base64 of:
 * <pre>
 *   byte      format (1)
 *   varint    entry count
 *   entries, sorted: int32 namespace id (murmur2 of the name), varint partition, varlong next offset
 * </pre>
 * A node that signs its tokens writes format 2 instead ({@link SignedTokens}): the same positions with the
 * id of the key that signed them and a MAC. {@link #decode} reads what either form claims without checking
 * a MAC, which is all a client needs; a node checks the tokens it is sent with {@link SignedTokens#verify}.
 */
public final class ConsistencyToken {

    /** The token that demands nothing. */
    public static final ConsistencyToken EMPTY = new ConsistencyToken(new TreeMap<>());

    /** More entries than this in one token is treated as malformed (bounds work per request). */
    public static final int MAX_ENTRIES = 4096;

    static final byte FORMAT_V1 = 1;
    static final byte FORMAT_SIGNED = 2;

    private final TreeMap<Long, Long> positions;

    private ConsistencyToken(TreeMap<Long, Long> positions) {
        this.positions = positions;
    }

    /** A token for one position of one namespace (in a region without a name). */
    public static ConsistencyToken of(NamespaceName namespace, LogPosition position) {
        return of(namespace, null, position);
    }

    /** A token for one position of one namespace's truth topic in {@code region} (null: a region without a name). */
    public static ConsistencyToken of(NamespaceName namespace, RegionName region, LogPosition position) {
        TreeMap<Long, Long> map = new TreeMap<>();
        map.put(entryKey(namespace.tokenId(region), position.partition()), position.nextOffset());
        return new ConsistencyToken(map);
    }

    /**
     * A token for a position of a namespace's ingest topic (a streaming application's write): a read that
     * carries it waits until the replica has applied the ingest records up to that position.
     */
    public static ConsistencyToken ofIngest(NamespaceName namespace, LogPosition ingestPosition) {
        TreeMap<Long, Long> map = new TreeMap<>();
        map.put(entryKey(namespace.ingestTokenId(), ingestPosition.partition()), ingestPosition.nextOffset());
        return new ConsistencyToken(map);
    }

    /** The ingest position this token demands for {@code partition} of {@code namespace}; 0 when none. */
    public long ingestPositionFor(NamespaceName namespace, int partition) {
        return positions.getOrDefault(entryKey(namespace.ingestTokenId(), partition), 0L);
    }

    /** The position this token demands for {@code partition} of {@code namespace}; 0 when none. */
    public long positionFor(NamespaceName namespace, int partition) {
        return positionFor(namespace, null, partition);
    }

    /**
     * The position in {@code region}'s copy of the namespace that this token demands for {@code partition}
     * (null: a region without a name); 0 when none.
     */
    public long positionFor(NamespaceName namespace, RegionName region, int partition) {
        return positions.getOrDefault(entryKey(namespace.tokenId(region), partition), 0L);
    }

    /** The positions this token demands in {@code namespace}, by partition. */
    public Map<Integer, Long> positionsFor(NamespaceName namespace) {
        long id = namespace.tokenId();
        Map<Integer, Long> result = new TreeMap<>();
        positions.subMap(entryKey((int) id, 0), true, entryKey((int) id, Integer.MAX_VALUE), true)
                .forEach((key, offset) -> result.put((int) (key & 0xffffffffL), offset));
        return Collections.unmodifiableMap(result);
    }

    /** The highest position per partition of this token and {@code other}. */
    public ConsistencyToken merge(ConsistencyToken other) {
        if (other.positions.isEmpty()) {
            return this;
        }
        if (positions.isEmpty()) {
            return other;
        }
        if (covers(other)) {
            return this; // the common case of a read at a position the token already holds: nothing to copy
        }
        TreeMap<Long, Long> merged = new TreeMap<>(positions);
        other.positions.forEach((key, offset) -> merged.merge(key, offset, Math::max));
        return new ConsistencyToken(merged);
    }

    public boolean isEmpty() {
        return positions.isEmpty();
    }

    /** Whether every position of {@code other} is at or below this token's position for the same partition. */
    public boolean covers(ConsistencyToken other) {
        for (Map.Entry<Long, Long> entry : other.positions.entrySet()) {
            if (positions.getOrDefault(entry.getKey(), 0L) < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Only this token's positions of {@code namespace}'s ingest topic. */
    public ConsistencyToken ingestOnly(NamespaceName namespace) {
        int id = namespace.ingestTokenId();
        TreeMap<Long, Long> kept = new TreeMap<>(positions.subMap(entryKey(id, 0), true, entryKey(id, Integer.MAX_VALUE), true));
        return kept.size() == positions.size() ? this : new ConsistencyToken(kept);
    }

    /** The URL-safe text form (unsigned: format 1). */
    public String encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + positions.size() * 12);
        out.write(FORMAT_V1);
        writePayload(out);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
    }

    /** The entry count and the entries, as both formats hold them after their header. */
    void writePayload(ByteArrayOutputStream out) {
        writeVarLong(out, positions.size());
        positions.forEach((key, offset) -> {
            int id = (int) (key >> 32);
            out.write(id >>> 24);
            out.write(id >>> 16);
            out.write(id >>> 8);
            out.write(id);
            writeVarLong(out, key & 0xffffffffL);
            writeVarLong(out, offset);
        });
    }

    /**
     * Parses one token's text form, either format, and returns the positions it claims (a signed token's MAC
     * is not checked here: see {@link SignedTokens}); throws {@link MalformedTokenException} for anything else.
     */
    public static ConsistencyToken decode(String text) {
        ByteBuffer in = ByteBuffer.wrap(bytes(text));
        try {
            byte format = in.get();
            if (format == FORMAT_SIGNED) {
                SignedTokens.skipKeyId(in);
                in.limit(Math.max(in.position(), in.limit() - SignedTokens.MAC_BYTES));
            } else if (format != FORMAT_V1) {
                throw new MalformedTokenException("unknown token format");
            }
            return readPayload(in);
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedTokenException("truncated token");
        }
    }

    /** A token's bytes; a {@link MalformedTokenException} when the text is not URL-safe base64. */
    static byte[] bytes(String text) {
        if (text == null || text.isBlank()) {
            throw new MalformedTokenException("empty token");
        }
        try {
            return Base64.getUrlDecoder().decode(text.strip());
        } catch (IllegalArgumentException e) {
            throw new MalformedTokenException("a token is URL-safe base64");
        }
    }

    /** The entries from {@code in}'s position to its limit, which must be their end. */
    static ConsistencyToken readPayload(ByteBuffer in) {
        try {
            long count = readVarLong(in);
            if (count < 0 || count > MAX_ENTRIES) {
                throw new MalformedTokenException("a token holds at most " + MAX_ENTRIES + " positions");
            }
            TreeMap<Long, Long> map = new TreeMap<>();
            for (long i = 0; i < count; i++) {
                int id = in.getInt();
                long partition = readVarLong(in);
                long offset = readVarLong(in);
                if (partition < 0 || partition > Integer.MAX_VALUE || offset < 0) {
                    throw new MalformedTokenException("position out of range");
                }
                map.merge(entryKey(id, (int) partition), offset, Math::max);
            }
            if (in.hasRemaining()) {
                throw new MalformedTokenException("trailing bytes after the token");
            }
            return new ConsistencyToken(map);
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedTokenException("truncated token");
        }
    }

    /**
     * Parses and merges every token in a list of header values, each of which may hold several
     * comma-separated tokens, as HTTP allows for repeated headers.
     */
    public static ConsistencyToken decodeAll(Iterable<String> headerValues) {
        ConsistencyToken merged = EMPTY;
        for (String value : headerValues) {
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    merged = merged.merge(decode(part));
                }
            }
        }
        return merged;
    }

    private static long entryKey(int namespaceId, int partition) {
        return ((long) namespaceId << 32) | (partition & 0xffffffffL);
    }

    private static void writeVarLong(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static long readVarLong(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new MalformedTokenException("varint too long");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ConsistencyToken token && positions.equals(token.positions);
    }

    @Override
    public int hashCode() {
        return positions.hashCode();
    }

    @Override
    public String toString() {
        return encode();
    }
}
