package dev.loombench.orders.webflux.messaging.consumer;

/** A well-formed event whose processing failed on every attempt: it goes to the dead letters. */
public class EventProcessingFailedException extends RuntimeException {

    public EventProcessingFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
