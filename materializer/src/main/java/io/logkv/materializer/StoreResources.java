package io.logkv.materializer;

import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * What every partition store on a node shares, so memory stays bounded by two properties however many
 * partitions the node holds: one block cache, and one memtable budget charged to that cache.
 *
 * <p>The options are tuned for point reads: whole-key bloom filters, a hash index inside data blocks,
 * index and filter blocks kept in the cache, and large values in blob files. Flushed memtables (level 0)
 * stay uncompressed and every level below is LZ4: compressing each flush cost a replay a quarter of the
 * machine, and the compaction that moves the data down compresses it once. The WAL is off for every
 * write because Kafka is the write-ahead log: a store that loses its memtables replays from the
 * position it had persisted with its data.
 */
public final class StoreResources implements AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    /**
     * Level 0 uncompressed, LZ4 below. With dynamic level sizes (RocksDB's default) the entries after the
     * first apply from the level that level 0 compacts into, wherever that is, not from level 1.
     */
    private static final List<CompressionType> COMPRESSION_PER_LEVEL = List.of(CompressionType.NO_COMPRESSION,
            CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION,
            CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION);

    private final Cache blockCache;
    private final WriteBufferManager writeBuffers;
    private final BloomFilter bloomFilter;
    private final long minBlobBytes;
    private final WriteOptions writeOptions;
    private final ReadOptions readOptions;

    public StoreResources(long blockCacheBytes, long writeBufferBytes, long minBlobBytes) {
        this.blockCache = new LRUCache(blockCacheBytes);
        this.writeBuffers = new WriteBufferManager(writeBufferBytes, blockCache);
        this.bloomFilter = new BloomFilter(10, false);
        this.minBlobBytes = minBlobBytes;
        this.writeOptions = new WriteOptions().setDisableWAL(true);
        this.readOptions = new ReadOptions().setVerifyChecksums(false);
    }

    /** Options for a new store; the caller closes them after closing the store. */
    Options newOptions() {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(blockCache)
                .setFilterPolicy(bloomFilter)
                .setWholeKeyFiltering(true)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true)
                .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash)
                .setBlockSize(8 * 1024);
        return new Options()
                .setCreateIfMissing(true)
                .setTableFormatConfig(table)
                .setWriteBufferManager(writeBuffers)
                .setCompressionPerLevel(COMPRESSION_PER_LEVEL)
                .setEnableBlobFiles(true)
                .setMinBlobSize(minBlobBytes)
                .setEnableBlobGarbageCollection(true)
                .setMaxBackgroundJobs(2)
                .setMaxOpenFiles(512)
                .setAvoidFlushDuringShutdown(false);
    }

    WriteOptions writeOptions() {
        return writeOptions;
    }

    ReadOptions readOptions() {
        return readOptions;
    }

    /** Bytes the block cache holds now (data, index and filter blocks, and memtables charged to it). */
    public long blockCacheUsage() {
        return blockCache.getUsage();
    }

    @Override
    public void close() {
        readOptions.close();
        writeOptions.close();
        writeBuffers.close();
        bloomFilter.close();
        blockCache.close();
    }
}
