package io.logkv.query.keys;

import io.logkv.core.ApiHeaders;
import io.logkv.core.ConsistencyToken;
import io.logkv.core.MalformedTokenException;
import io.logkv.core.NamespaceName;
import io.logkv.core.ProblemTypes;
import io.logkv.core.SignedTokens;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.security.SecurityConfiguration.TokenSigning;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * The tokens of requests and answers. When tokens are signed ({@code logkv.security.tokens}), a request's tokens
 * must each carry a MAC by a key this node holds, and every token this node answers with is signed with its
 * signing key; an unsigned, forged or altered token, or one signed by a key rotated out, is {@code 400 bad-token}.
 * With {@code accept-unsigned-ingest}, an unsigned token holding only ingest positions of the namespace read
 * (what {@code IngestTokens} makes from a producer's {@code RecordMetadata}) is accepted too.
 */
@Component
public class RequestTokens {

    private final SignedTokens signed;
    private final boolean acceptUnsignedIngest;

    public RequestTokens(TokenSigning signing) {
        this.signed = signing.tokens();
        this.acceptUnsignedIngest = signing.acceptUnsignedIngest();
    }

    /** The request's {@code KV-Token} values, merged. */
    public ConsistencyToken of(HttpServletRequest request, NamespaceName namespace) {
        return of(Collections.list(request.getHeaders(ApiHeaders.TOKEN)), namespace);
    }

    /**
     * Every token in a list of header values (each may hold several, comma-separated), merged.
     *
     * @param namespace the namespace the request reads or writes (whose unsigned ingest tokens may be accepted)
     * @throws ApiProblem {@code 400 bad-token} for a token this node does not accept
     */
    public ConsistencyToken of(List<String> headerValues, NamespaceName namespace) {
        ConsistencyToken merged = ConsistencyToken.EMPTY;
        for (String value : headerValues) {
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    merged = merged.merge(one(part, namespace));
                }
            }
        }
        return merged;
    }

    /** One token's positions; 400 bad-token when this node does not accept it. */
    public ConsistencyToken one(String text, NamespaceName namespace) {
        try {
            if (signed == null) {
                return ConsistencyToken.decode(text);
            }
            if (acceptUnsignedIngest && !SignedTokens.isSigned(text)) {
                ConsistencyToken unsigned = ConsistencyToken.decode(text);
                if (!unsigned.isEmpty() && unsigned.ingestOnly(namespace).equals(unsigned)) {
                    return unsigned;
                }
            }
            return signed.verify(text);
        } catch (MalformedTokenException e) {
            throw ApiProblem.badRequest(ProblemTypes.BAD_TOKEN, "KV-Token refused: " + e.getMessage());
        }
    }

    /** The text of a token this node answers with. */
    public String text(ConsistencyToken token) {
        return signed == null ? token.encode() : signed.sign(token);
    }
}
