package io.tollgate.deploy.demo;

/** The demo cannot go on, or its final checks failed; the message says what a newcomer should know. */
public final class DemoFailure extends RuntimeException {
    DemoFailure(String message) {
        super(message);
    }

    DemoFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
