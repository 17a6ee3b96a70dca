package dev.loombench.orders.domain.event;

/** A message no retry can fix (unreadable, or not an {@code OrderCreated}): it goes straight to dead letters. */
public class PoisonMessageException extends RuntimeException {

    public PoisonMessageException(String message) {
        super(message);
    }
}
