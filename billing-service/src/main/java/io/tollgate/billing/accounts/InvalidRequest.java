package io.tollgate.billing.accounts;

import java.util.List;

/** A write that fails validation: every bad field with the reason. Answered as 400 problem+json. */
public final class InvalidRequest extends Exception {
    public record FieldError(String field, String reason) {
    }

    private final List<FieldError> errors;

    public InvalidRequest(List<FieldError> errors) {
        super(errors.isEmpty() ? "invalid request" : errors.get(0).field() + ": " + errors.get(0).reason());
        this.errors = List.copyOf(errors);
    }

    public static InvalidRequest of(String field, String reason) {
        return new InvalidRequest(List.of(new FieldError(field, reason)));
    }

    public List<FieldError> errors() {
        return errors;
    }
}
