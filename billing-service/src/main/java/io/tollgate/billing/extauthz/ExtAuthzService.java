package io.tollgate.billing.extauthz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.stub.StreamObserver;
import io.tollgate.billing.decision.Decision;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.DenyBody;
import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.MicrosText;
import io.tollgate.billing.decision.Reason;
import io.tollgate.runtime.Problem;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Envoy's {@code envoy.service.auth.v3.Authorization/Check} over gRPC, with the rules and read model of the HTTP
 * forward auth. Allow: status OK, {@code X-Tollgate-Consumer}/{@code X-Tollgate-Balance} added to the upstream request.
 * Deny: {@code denied_response} with the HTTP status of the reason (402 {@code PaymentRequired}, 401, 403, 400),
 * the problem+json body and {@code X-Tollgate-Reason}. Both carry {@code consumer} (and {@code reason} on deny) in
 * {@code dynamic_metadata}, which Envoy's access log can read.
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
    private final DecisionService service;
    private final DecisionMetrics metrics;
    private final String[] identityHeaders;
    private final String topUpUrl;
    private final byte[] sharedSecret;

    public ExtAuthzService(DecisionService service, DecisionMetrics metrics, List<String> identityHeaders, String topUpUrl,
                           String sharedSecret) {
        this.service = service;
        this.metrics = metrics;
        this.identityHeaders = identityHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT)).toArray(String[]::new);
        this.topUpUrl = topUpUrl == null || topUpUrl.isBlank() ? null : topUpUrl;
        this.sharedSecret = sharedSecret == null || sharedSecret.isEmpty() ? null : sharedSecret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
        responses.onNext(decide(request));
        responses.onCompleted();
    }

    /** The answer to one check; Envoy sends header names in lower case. */
    CheckResponse decide(CheckRequest request) {
        long start = System.nanoTime();
        Map<String, String> headers = request.getAttributes().getRequest().getHttp().getHeadersMap();
        String secret = headers.get("x-tollgate-secret");
        if (sharedSecret != null && (secret == null || !MessageDigest.isEqual(sharedSecret, secret.getBytes(StandardCharsets.UTF_8)))) {
            return deny(Reason.INVALID_SECRET, null, null, "Header X-Tollgate-Secret is missing or wrong.", start);
        }
        String consumer = identity(headers);
        if (consumer == null) {
            return deny(Reason.MISSING_CONSUMER, null, null,
                    "None of the identity headers is set: " + String.join(", ", identityHeaders) + ".", start);
        }
        Estimate estimate;
        try {
            estimate = Estimate.parseHeader(headers.get("x-usage-estimate"));
        } catch (IllegalArgumentException e) {
            return deny(Reason.INVALID_ESTIMATE, consumer, null, "X-Usage-Estimate: " + e.getMessage(), start);
        }
        DecisionService.Outcome outcome = service.decide(consumer, estimate);
        Decision decision = outcome.decision();
        if (!decision.allowed()) {
            return deny(decision.reason(), consumer, outcome, decision.detail(), start);
        }
        OkHttpResponse.Builder ok = OkHttpResponse.newBuilder().addHeaders(header("x-tollgate-consumer", consumer));
        if (outcome.view() != null) {
            ok.addHeaders(header("x-tollgate-balance", MicrosText.format(decision.remainingMicros())));
        }
        CheckResponse response = CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
                .setOkResponse(ok)
                .setDynamicMetadata(metadata(consumer, null))
                .build();
        metrics.record(null, start);
        return response;
    }

    private CheckResponse deny(Reason reason, String consumer, DecisionService.Outcome outcome, String detail, long start) {
        String body = DenyBody.of(reason, consumer, outcome, detail, topUpUrl).toString();
        CheckResponse response = CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(reason.status() == 401 ? Code.UNAUTHENTICATED_VALUE : Code.PERMISSION_DENIED_VALUE)
                        .setMessage(reason.code()))
                .setDeniedResponse(DeniedHttpResponse.newBuilder()
                        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.forNumber(reason.status())))
                        .addHeaders(header("content-type", Problem.CONTENT_TYPE))
                        .addHeaders(header("x-tollgate-reason", reason.code()))
                        .setBody(body))
                .setDynamicMetadata(metadata(consumer, reason))
                .build();
        metrics.record(reason, start);
        return response;
    }

    private String identity(Map<String, String> headers) {
        for (String name : identityHeaders) {
            String value = headers.get(name);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }

    private static HeaderValueOption header(String key, String value) {
        return HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder().setKey(key).setValue(value)).build();
    }

    private static Struct metadata(String consumer, Reason reason) {
        Struct.Builder metadata = Struct.newBuilder();
        if (consumer != null) {
            metadata.putFields("consumer", Value.newBuilder().setStringValue(consumer).build());
        }
        if (reason != null) {
            metadata.putFields("reason", Value.newBuilder().setStringValue(reason.code()).build());
        }
        return metadata.build();
    }
}
