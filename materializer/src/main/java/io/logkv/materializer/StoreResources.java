package io.logkv.materializer;

import io.logkv.core.DaemonThreads;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
    /** What the stores loading by table files stage before they hand a file over, together: the memtable budget. */
    private final long fileLoadBudget;
    private final AtomicInteger fileLoads = new AtomicInteger();
    private final AtomicLong fileLoadBytes = new AtomicLong();
    /** Writes and ingests the table files of every store loading by files, one file at a time, in the order handed over. */
    private final ExecutorService fileLoadThread = Executors.newSingleThreadExecutor(DaemonThreads.named("logkv-replica-file-load"));

    public StoreResources(long blockCacheBytes, long writeBufferBytes, long minBlobBytes) {
        this.blockCache = new LRUCache(blockCacheBytes);
        this.writeBuffers = new WriteBufferManager(writeBufferBytes, blockCache);
        this.bloomFilter = new BloomFilter(10, false);
        this.minBlobBytes = minBlobBytes;
        this.writeOptions = new WriteOptions().setDisableWAL(true);
        this.readOptions = new ReadOptions().setVerifyChecksums(false);
        this.fileLoadBudget = writeBufferBytes;
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

    /**
     * Options for writing a table file that a store loading by files ingests ({@link FileLoad}): the store's
     * table format, uncompressed like every file that enters at level 0. The caller closes them.
     */
    Options newFileLoadOptions() {
        Options options = newOptions();
        options.setCompressionPerLevel(List.of());
        options.setCompressionType(CompressionType.NO_COMPRESSION);
        return options;
    }

    void fileLoadStarted() {
        fileLoads.incrementAndGet();
    }

    void fileLoadEnded() {
        fileLoads.decrementAndGet();
    }

    void fileLoadStaged(long bytes) {
        fileLoadBytes.addAndGet(bytes);
    }

    /**
     * Bytes a store loading by files stages before it hands them over to be ingested: an even share of the budget
     * (the memtable budget, which such stores leave unused). With one file in flight per store, the stores hold
     * at most twice the budget together; larger files than half shares would leave fewer level-0 files behind.
     */
    long fileLoadShare() {
        return fileLoadBudget / Math.max(1, fileLoads.get());
    }

    /** The thread that writes and ingests the table files the stores loading by files hand over. */
    ExecutorService fileLoadThread() {
        return fileLoadThread;
    }

    /** Bytes staged now by the stores loading by files, in the heap. */
    public long fileLoadBytes() {
        return fileLoadBytes.get();
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
        // Stores finish their files before they close, and they close before the resources they share.
        fileLoadThread.shutdownNow();
        readOptions.close();
        writeOptions.close();
        writeBuffers.close();
        bloomFilter.close();
        blockCache.close();
    }
}
