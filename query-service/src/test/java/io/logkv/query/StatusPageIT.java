package io.logkv.query;

import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status page at {@code /ui}, in headless Chromium: it loads, its partition table shows what
 * {@code GET /v1/namespaces/{ns}} reports (owner, replica, applied position), and it updates by itself
 * after a write. Leaves a screenshot in target/ for the docs.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}; without them the test is skipped with a
 * message, unless {@code LOGKV_REQUIRE_BROWSER} is set (CI sets it once it has installed them).
 */
@Tag("integration")
class StatusPageIT {

    private static final Path CHROMIUM = Path.of(System.getProperty("logkv.test.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("logkv.test.chromedriver", "/usr/bin/chromedriver"));
    private static final Duration PAGE_WAIT = Duration.ofSeconds(30);

    private final String ns = "status-" + Long.toString(System.nanoTime(), 36);

    @TempDir
    Path dataDir;

    @Test
    void showsThePartitionsTheApiReportsAndFollowsWrites() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (System.getenv("LOGKV_REQUIRE_BROWSER") != null) {
            assertThat(present).as("LOGKV_REQUIRE_BROWSER is set but %s or %s is missing", CHROMIUM, CHROMEDRIVER).isTrue();
        }
        Assumptions.assumeTrue(present, "the status page test needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (apt-get install chromium chromium-driver)");

        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode node = LogKvNode.start("status-a", kafka, dataDir.resolve("a"), "--logkv.replicas.copies=1")) {
            assertThat(node.putNamespace(ns, "{\"partitions\":2,\"defaultTtl\":\"1h\"}").statusCode()).isIn(200, 201);
            assertThat(node.put(ns, "first", "1").statusCode()).isEqualTo(200);

            ChromeDriver browser = browser();
            try {
                browser.get(node.url("/ui"));
                WebDriverWait wait = new WebDriverWait(browser, PAGE_WAIT);
                wait.until(d -> {
                    Map<String, Map<String, String>> rows = table(browser);
                    return rows.size() == 2 && rows.values().stream().allMatch(r -> "serving".equals(r.get("serving")));
                });

                JsonNode api = describe(node);
                assertThat(browser.findElement(By.cssSelector("header [data-field=node]")).getText()).isEqualTo("status-a");
                assertThat(browser.findElement(By.cssSelector("section[data-namespace='" + ns + "'] [data-field=ttl]")).getText())
                        .isEqualTo("1 h");
                Map<String, Map<String, String>> shown = table(browser);
                for (JsonNode partition : api.path("topology")) {
                    String p = partition.path("partition").asString();
                    Map<String, String> row = shown.get(p);
                    assertThat(row.get("owner")).as("owner of partition %s", p).isEqualTo(partition.path("owner").asString());
                    assertThat(row.get("node")).isEqualTo(partition.path("replicas").get(0).path("node").asString());
                    assertThat(row.get("applied")).as("applied position of partition %s", p)
                            .isEqualTo(String.format("%,d", partition.path("replicas").get(0).path("state").path("appliedPosition").asLong()));
                }

                // Writes move the applied positions on the page without a reload.
                long before = appliedSum(table(browser));
                for (int i = 0; i < 5; i++) {
                    assertThat(node.put(ns, "more-" + i, "x").statusCode()).isEqualTo(200);
                }
                browser.executeScript("window.__sameDocument = true;");
                wait.until(d -> appliedSum(table(browser)) > before);
                assertThat(browser.executeScript("return window.__sameDocument === true;"))
                        .as("the page updated itself, it was not reloaded").isEqualTo(Boolean.TRUE);
                long apiTotal = 0;
                for (JsonNode partition : describe(node).path("topology")) {
                    apiTotal += partition.path("replicas").get(0).path("state").path("appliedPosition").asLong();
                }
                assertThat(appliedSum(table(browser))).as("the page never shows more than the API reports").isLessThanOrEqualTo(apiTotal);

                Path shot = Path.of("target", "status-page.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            } finally {
                browser.quit();
            }
        }
    }

    private static ChromeDriver browser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // Headless in a container: no sandbox, no GPU, and none of the browser's own network traffic.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private JsonNode describe(LogKvNode node) {
        HttpResponse<String> response = node.send(HttpRequest.newBuilder(URI.create(node.url("/v1/namespaces/" + ns))));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(response.body());
    }

    /**
     * The partition table as the page shows it, read in one script (the page re-renders its rows on every
     * refresh, so elements found one by one could go stale in between): partition → owner, node, serving, applied.
     */
    @SuppressWarnings("unchecked")
    private Map<String, Map<String, String>> table(ChromeDriver browser) {
        Object rows = browser.executeScript("""
                const out = {};
                document.querySelectorAll('#partitions-' + arguments[0] + ' tbody tr').forEach(r => {
                  const text = f => { const c = r.querySelector('[data-field="' + f + '"]'); return c ? c.textContent : null; };
                  out[r.dataset.partition] = { node: r.dataset.node, owner: text('owner'), serving: text('serving'), applied: text('applied') };
                });
                return out;""", ns);
        return new java.util.TreeMap<>((Map<String, Map<String, String>>) rows);
    }

    private static long appliedSum(Map<String, Map<String, String>> table) {
        return table.values().stream().mapToLong(r -> r.get("applied") == null ? 0 : Long.parseLong(r.get("applied").replace(",", ""))).sum();
    }
}
