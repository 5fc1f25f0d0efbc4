package io.logkv.client.http;

import java.util.List;

/**
 * One page of a prefix scan.
 *
 * @param values the live keys of the page, in key order, with their values
 * @param next   the continuation to pass for the next page, or null on the last page
 * @param token  a token covering what the page read
 */
public record ScanPage(List<KeyValue> values, String next, String token) {
}
