package io.tollgate.schemas.registry;

/** An error answered by the schema registry, with the HTTP status and the Confluent error code. */
public class SchemaRegistryException extends RuntimeException {
    private final int status;
    private final int errorCode;

    public SchemaRegistryException(int status, int errorCode, String message) {
        super("schema registry answered " + status + (errorCode > 0 ? " (error " + errorCode + ")" : "") + ": " + message);
        this.status = status;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.errorCode = 0;
    }

    public int status() {
        return status;
    }

    public int errorCode() {
        return errorCode;
    }

    /** 404: subject, version or schema id not found (40401, 40402, 40403). */
    public static final class NotFound extends SchemaRegistryException {
        public NotFound(int errorCode, String message) {
            super(404, errorCode, message);
        }
    }

    /** 409 / 40901: the schema is not compatible with the subject's earlier versions. */
    public static final class Incompatible extends SchemaRegistryException {
        public Incompatible(int errorCode, String message) {
            super(409, errorCode, message);
        }
    }

    /** 422: the schema or the request is invalid (42201 invalid schema, 42202 invalid version, 42203 bad compatibility level). */
    public static final class Invalid extends SchemaRegistryException {
        public Invalid(int errorCode, String message) {
            super(422, errorCode, message);
        }
    }
}
