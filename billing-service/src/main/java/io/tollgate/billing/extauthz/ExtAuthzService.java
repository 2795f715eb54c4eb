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
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.StreamObserver;
import io.tollgate.billing.decision.Decision;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.DenyBody;
import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.GatewayChecks;
import io.tollgate.billing.decision.MicrosText;
import io.tollgate.billing.decision.Reason;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.LogSafe;
import io.tollgate.runtime.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Envoy's {@code envoy.service.auth.v3.Authorization/Check} over gRPC, with the rules and read model of the HTTP
 * forward auth. Allow: status OK, {@code X-Tollgate-Consumer}/{@code X-Tollgate-Balance} added to the upstream request.
 * Deny: {@code denied_response} with the HTTP status of the reason (402 {@code PaymentRequired}, 401, 403, 400),
 * the problem+json body and {@code X-Tollgate-Reason}. Both carry {@code consumer} (and {@code reason} on deny) in
 * {@code dynamic_metadata}, which Envoy's access log can read.
 *
 * <p>Gateway credentials travel as call metadata {@code authorization: Bearer <token>} (Envoy's
 * {@code grpc_service.initial_metadata}); {@link #credentials} checks them before the call is read and fails it with
 * {@code UNAUTHENTICATED}. The end user's own {@code authorization} header, inside the CheckRequest, is never taken for
 * the gateway's. An unexpected failure while deciding is answered with a {@code denied_response} of HTTP 500 and a
 * problem+json body, never left without an answer.
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
    private static final Logger log = LoggerFactory.getLogger(ExtAuthzService.class);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final DecisionService service;
    private final DecisionMetrics metrics;
    private final GatewayChecks checks;
    private final String topUpUrl;

    public ExtAuthzService(DecisionService service, DecisionMetrics metrics, GatewayChecks checks, String topUpUrl) {
        this.service = service;
        this.metrics = metrics;
        this.checks = checks;
        this.topUpUrl = topUpUrl == null || topUpUrl.isBlank() ? null : topUpUrl;
    }

    /** Without gateway tokens and with the default estimate bound. */
    public ExtAuthzService(DecisionService service, DecisionMetrics metrics, List<String> identityHeaders, String topUpUrl,
                           String sharedSecret) {
        this(service, metrics, new GatewayChecks(identityHeaders, sharedSecret, BearerTokens.parse(""), Estimate.DEFAULT_MAX_UNITS),
                topUpUrl);
    }

    /**
     * Fails every call whose metadata lacks {@code authorization: Bearer <one of the decision tokens>} with
     * {@code UNAUTHENTICATED}, before its message is read; passes every call when no token is configured.
     */
    public ServerInterceptor credentials() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                long start = System.nanoTime();
                GatewayChecks.Rejected rejected = checks.token(headers.get(AUTHORIZATION));
                if (rejected == null) {
                    return next.startCall(call, headers);
                }
                metrics.record(rejected.reason(), start);
                call.close(io.grpc.Status.UNAUTHENTICATED.withDescription(rejected.detail()), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
        };
    }

    @Override
    public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
        long start = System.nanoTime();
        CheckResponse response;
        try {
            response = decide(request);
        } catch (RuntimeException e) {
            log.error("ext_authz decision failed for {}", LogSafe.quote(request.getAttributes().getRequest().getHttp().getPath()), e);
            response = deny(Reason.INTERNAL_ERROR, null, null, null,
                    "Tollgate could not decide this call (" + e.getClass().getSimpleName() + "); it is logged.", start);
        }
        responses.onNext(response);
        responses.onCompleted();
    }

    /** The answer to one check; Envoy sends header names in lower case. */
    CheckResponse decide(CheckRequest request) {
        long start = System.nanoTime();
        Map<String, String> headers = request.getAttributes().getRequest().getHttp().getHeadersMap();
        GatewayChecks.Rejected secret = checks.secret(headers.get("x-tollgate-secret"));
        if (secret != null) {
            return deny(secret.reason(), secret.field(), null, null, secret.detail(), start);
        }
        GatewayChecks.Identity identity = checks.identity(name -> headers.get(name.toLowerCase(Locale.ROOT)));
        if (identity instanceof GatewayChecks.Rejected rejected) {
            return deny(rejected.reason(), rejected.field(), null, null, rejected.detail(), start);
        }
        String consumer = ((GatewayChecks.Identified) identity).consumer();
        Estimate estimate;
        try {
            estimate = checks.estimate(headers.get("x-usage-estimate"));
        } catch (IllegalArgumentException e) {
            return deny(Reason.INVALID_ESTIMATE, "X-Usage-Estimate", consumer, null, "X-Usage-Estimate: " + e.getMessage(), start);
        }
        DecisionService.Outcome outcome = service.decide(consumer, estimate);
        Decision decision = outcome.decision();
        if (!decision.allowed()) {
            return deny(decision.reason(), null, consumer, outcome, decision.detail(), start);
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

    private CheckResponse deny(Reason reason, String field, String consumer, DecisionService.Outcome outcome, String detail, long start) {
        String body = DenyBody.of(reason, field, consumer, outcome, detail, topUpUrl).toString();
        int code = switch (reason.status()) {
            case 401 -> Code.UNAUTHENTICATED_VALUE;
            case 400 -> Code.INVALID_ARGUMENT_VALUE;
            case 500 -> Code.INTERNAL_VALUE;
            default -> Code.PERMISSION_DENIED_VALUE;
        };
        CheckResponse response = CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(code).setMessage(reason.code()))
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
