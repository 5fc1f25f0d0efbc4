package io.logkv.query.api;

import io.logkv.query.read.HotKeys;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The keys this node served most in the last window ({@code logkv.hot-keys.*}): reads served by its replicas
 * and writes taken as a partition's owner, at or above the reporting rate. Admin on every namespace.
 */
@RestController
@RequestMapping("/v1/admin")
public class HotKeysController {

    private final HotKeys hotKeys;

    public HotKeysController(HotKeys hotKeys) {
        this.hotKeys = hotKeys;
    }

    @GetMapping("/hot-keys")
    public HotKeysAnswer hotKeys() {
        HotKeys.Report report = hotKeys.report();
        return new HotKeysAnswer(report.at().toString(), report.window().toMillis() / 1000.0, report.minRate(),
                report.keys().stream().map(key -> new HotKeyAnswer(key.namespace(), key.key(), Math.round(key.readsPerSecond()),
                        Math.round(key.writesPerSecond()))).toList());
    }

    /**
     * @param at            when the window ended
     * @param windowSeconds how long it ran
     * @param minRate       requests a second from which a key is reported
     * @param keys          the hot keys, hottest first
     */
    public record HotKeysAnswer(String at, double windowSeconds, long minRate, List<HotKeyAnswer> keys) {
    }

    /** One hot key and its rates, requests a second. */
    public record HotKeyAnswer(String namespace, String key, long readsPerSecond, long writesPerSecond) {
    }
}
