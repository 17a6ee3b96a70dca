package dev.loombench.orders.webflux.runtime;

/** "name version" from the jar manifest that holds {@code anchor}, in the form order-mvc reports its libraries. */
final class LibraryVersion {

    private LibraryVersion() {
    }

    static String of(String name, Class<?> anchor) {
        String version = anchor.getPackage().getImplementationVersion();
        return name + " " + ((version != null) ? version : "unknown");
    }
}
