package io.logkv.mirror;

import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.writer.KafkaUnavailableException;
import io.logkv.writer.NamespaceRegistryTopic;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Releases the home from the lease a copy's region granted it, when that region is to hold the namespace no more
 * ({@code bin/logkv release-copy NAMESPACE --region b}; docs/operations.md, "The home lease"). A home binds itself to
 * every copy's lease, so a copy given up (a region retired, a mirror narrowed to fewer namespaces) would otherwise
 * stop its writes once the lease ran out. In this order, so that the copy can never be promoted while the home is
 * unbound:
 * <ol>
 *   <li>the mirror into the copy's region is fenced and the lease revoked there ({@link HomeLeaseRevocation}): no
 *   mirror instance starts again for the namespace (it refuses a revoked lease), nor registers the copy again;</li>
 *   <li>the copy's region's registry drops the namespace: its nodes drop their copy, and no promotion finds it;</li>
 *   <li>the home's registry drops the lease: its nodes write without it.</li>
 * </ol>
 */
public final class CopyRelease {

    private final MirrorSettings settings;
    private final NamespaceName namespace;
    private final PrintStream progress;

    /** @param settings source: the home; target: the region whose copy is released */
    public CopyRelease(MirrorSettings settings, NamespaceName namespace, PrintStream progress) {
        this.settings = settings;
        this.namespace = namespace;
        this.progress = progress;
    }

    /**
     * Releases the copy; idempotent.
     *
     * @throws PromotionRefusedException when the target's registry holds the namespace as anything but a copy of the source
     */
    public void release() throws InterruptedException {
        RegistryEntry copy = new RegistryEntry(settings.targetKafka(), namespace, settings);
        Optional<NamespaceSettings> entry = copy.read();
        if (entry.isPresent() && !settings.sourceRegion().equals(entry.get().home())) {
            throw new PromotionRefusedException("region " + settings.targetRegion() + " holds " + namespace + " as "
                    + (entry.get().home() == null ? "its home" : "a copy of region " + entry.get().home()) + ", not as a copy of region "
                    + settings.sourceRegion());
        }
        try (Admin target = Admin.create(settings.targetKafka().properties())) {
            new HomeLeaseRevocation(settings, namespace).revoke(target, true);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new PromotionIncompleteException("could not reach region " + settings.targetRegion() + ": " + e, e);
        } catch (KafkaUnavailableException e) {
            throw new PromotionIncompleteException(e.getMessage(), e);
        }
        progress.println("1/3 the mirror of " + namespace + " into region " + settings.targetRegion() + " is fenced and its lease revoked");
        if (entry.isPresent()) {
            copy.write(null);
        }
        progress.println("2/3 region " + settings.targetRegion() + " holds no copy of " + namespace + " any more");
        try (KafkaProducer<byte[], byte[]> registry = new KafkaProducer<>(NamespaceRegistryTopic.producerProperties(settings.sourceKafka(),
                settings.kafkaTimeout(), RegistryCopies.CLIENT_ID), new ByteArraySerializer(), new ByteArraySerializer())) {
            registry.send(NamespaceRegistryTopic.lease(namespace, settings.targetRegion(), null))
                    .get(settings.kafkaTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw new PromotionIncompleteException("could not drop the lease of " + namespace + " in region " + settings.sourceRegion()
                    + "'s registry: run the release again", e);
        }
        progress.println("3/3 region " + settings.sourceRegion() + " writes " + namespace + " without region " + settings.targetRegion()
                + "'s lease");
    }
}
