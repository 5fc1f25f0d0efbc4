package io.logkv.local;

import io.logkv.client.http.Change;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;

/**
 * {@code bin/logkv watch}'s subscriber: prints each change as it comes, one at a time, and counts
 * {@code done} down at the end of the stream, on an error, or after {@code count} changes (0: never).
 */
final class ChangePrinter implements Flow.Subscriber<Change> {

    private final boolean json;
    private final long count;
    private final CountDownLatch done;
    private Flow.Subscription subscription;
    private long seen;

    ChangePrinter(boolean json, long count, CountDownLatch done) {
        this.json = json;
        this.count = count;
        this.done = done;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(Change change) {
        if (json) {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("type", change.type());
            fields.put("key", change.key());
            fields.put("version", change.version());
            if (change.value() != null) {
                fields.put("value", change.text());
            }
            fields.put("token", change.token());
            KeyOutput.printJson(System.out, fields);
        } else {
            System.out.println(change.type() + "\t" + change.key() + (change.value() == null ? "" : "\t" + change.text()));
        }
        System.out.flush();
        if (count > 0 && ++seen >= count) {
            subscription.cancel();
            done.countDown();
        } else {
            subscription.request(1);
        }
    }

    @Override
    public void onError(Throwable error) {
        System.err.println("logkv: " + error.getMessage());
        done.countDown();
    }

    @Override
    public void onComplete() {
        done.countDown();
    }
}
