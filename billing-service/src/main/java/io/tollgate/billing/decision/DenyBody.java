package io.tollgate.billing.decision;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.Balance;
import io.tollgate.runtime.Problem;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The problem+json body of a deny, the same over HTTP and over Envoy's gRPC ext_authz. */
public final class DenyBody {
    private DenyBody() {
    }

    /**
     * @param consumer         null when the caller is not identified (or its id is not valid)
     * @param outcome          the decision, null when none was made (bad request, missing identity)
     * @param topUpUrlTemplate {@code {consumer}} is replaced by the URL-encoded consumer; null for none
     */
    public static ObjectNode of(Reason reason, String consumer, DecisionService.Outcome outcome, String detail, String topUpUrlTemplate) {
        return of(reason, null, consumer, outcome, detail, topUpUrlTemplate);
    }

    /** @param field the header or JSON field at fault (a 400 or 401 before any decision), null for none */
    public static ObjectNode of(Reason reason, String field, String consumer, DecisionService.Outcome outcome, String detail,
                                String topUpUrlTemplate) {
        ObjectNode body = Problem.of(reason.status(), reason.problemType(), reason.title(), detail);
        body.put("reason", reason.code());
        if (field != null) {
            body.put("field", field);
        }
        if (consumer != null) {
            body.put("consumer", consumer);
        }
        if (outcome != null && outcome.view() != null) {
            Balance balance = outcome.view().balance();
            body.put("balance", MicrosText.format(outcome.decision().remainingMicros()));
            body.put("currency", balance.getCurrency());
            body.put("asOf", balance.getUpdatedAt().toString());
        }
        if (reason.isPayment() && topUpUrlTemplate != null && consumer != null) {
            body.put("topUpUrl", topUpUrlTemplate.replace("{consumer}", URLEncoder.encode(consumer, StandardCharsets.UTF_8)));
        }
        return body;
    }
}
