package io.logkv.mirror;

import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceRegistryTopic;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The new home's lease, as a promotion hands the home over (docs/adr/0020, "Home leases"). The new home's registry
 * may hold a lease from the old home, granted when it was home before by the mirror back, long lapsed: left so, it
 * would refuse the new home's writes until the mirror back starts and grants again.
 * <ul>
 *   <li>A planned promotion grants it afresh, as the mirror back does once its copy is current (the old home's copy is
 *   complete at that step): under the mirror back's transactional id in the old home (fencing any instance of it),
 *   binding the new home's registry first, then committing the grant in the old home, then writing it into the new
 *   home's registry ({@link HomeLeaseGrants}).</li>
 *   <li>A forced promotion cannot reach the old home to grant anything, and drops the lease from the new home's
 *   registry instead. That is safe: the old home names itself home, so no promotion of it can need the lease until a
 *   planned promotion has made it a copy again, and the mirror back then binds the new home anew.</li>
 * </ul>
 */
final class HomeLeaseHandover {

    private final MirrorSettings back;
    private final NamespaceName namespace;

    /** @param settings the promotion's: source the old home, target the region promoted */
    HomeLeaseHandover(MirrorSettings settings, NamespaceName namespace) {
        this.back = settings.reversed();
        this.namespace = namespace;
    }

    /** A planned promotion's grant, in the old home ({@code oldAdmin}'s cluster) and the new home's registry. */
    void grant(Admin oldAdmin) throws InterruptedException {
        FencingRetry.run("grant region " + back.sourceRegion() + " its home lease of " + namespace, () -> {
            grantOnce(oldAdmin);
            return null;
        });
    }

    private void grantOnce(Admin oldAdmin) {
        String topic = namespace.truthTopic();
        Properties props = back.targetKafka().properties();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, back.transactionalId(topic));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) back.kafkaTimeout().toMillis());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-promotion-lease");
        AtomicReference<KafkaProducer<byte[], byte[]>> registry = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> transactions = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            transactions.initTransactions();
            PositionsTopic.Committed committed = new PositionsTopic(oldAdmin, back.targetKafka(), back).readCommitted(back.sourceRegion(), topic);
            HomeLeaseGrants grants = new HomeLeaseGrants(back, topic, () -> registry.updateAndGet(open -> open != null ? open : registryProducer()));
            grants.resume(transactions, committed.lease(), committed.leaseUnreadable(), true);
            // The old home's copy of the new home is complete now (step 3 carried the whole log, and the new home has
            // written nothing yet): the grant a mirror back gives only a current copy is due at once.
            grants.grantNow(transactions);
        } catch (MirrorRefusedException e) {
            throw new PromotionRefusedException("the new home's lease cannot be granted: " + e.getMessage());
        } finally {
            if (registry.get() != null) {
                registry.get().close();
            }
        }
    }

    /** A forced promotion's: the old home's lease on the new home dropped from the new home's registry. */
    void release() {
        try (KafkaProducer<byte[], byte[]> registry = registryProducer()) {
            registry.send(NamespaceRegistryTopic.lease(namespace, back.targetRegion(), null))
                    .get(back.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaUnavailableException("interrupted while dropping the old home's lease of " + namespace, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaUnavailableException("could not drop the old home's lease of " + namespace + " in region "
                    + back.sourceRegion(), e);
        }
    }

    private KafkaProducer<byte[], byte[]> registryProducer() {
        return new KafkaProducer<>(NamespaceRegistryTopic.producerProperties(back.sourceKafka(), back.kafkaTimeout(),
                "logkv-promotion-lease"), new ByteArraySerializer(), new ByteArraySerializer());
    }
}
