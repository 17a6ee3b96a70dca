package dev.loombench.orders.webflux.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.loombench.orders.domain.runtime.LiveThreads;

/**
 * Every thread pool of the WebFlux variant, by the name its threads carry: the server's and WebClient's event
 * loops ({@code webflux-http-*}: Spring's ReactorResourceFactory; {@code reactor-http-*} if Reactor Netty's global
 * HttpResources were ever used), r2dbc-postgresql's own event loops ({@code reactor-tcp-*}: Reactor Netty's global
 * TcpResources, started with the first database connection), all sized by reactor.netty.ioWorkerCount, and
 * Reactor's {@code parallel} and {@code boundedElastic} schedulers, and the relay's own event loop and scheduler
 * ({@code relay-tcp-*}, {@code relay-scheduler-*}) when it has its own pool. Epoll and NIO are told apart so the report also
 * shows the live transport. Only pools with live threads are listed (lazy ones appear once started), then the total.
 */
final class ThreadPools {

    static final List<String> PREFIXES = List.of("webflux-http-epoll", "webflux-http-nio", "reactor-http-epoll",
            "reactor-http-nio", "reactor-tcp-epoll", "reactor-tcp-nio", "parallel", "boundedElastic", "relay-tcp-epoll", "relay-tcp-nio", "relay-scheduler");

    private ThreadPools() {
    }

    static Map<String, Integer> live() {
        Map<String, Predicate<Thread>> pools = new LinkedHashMap<>();
        PREFIXES.forEach((prefix) -> pools.put(prefix, LiveThreads.namedStartingWith(prefix + "-")));
        Map<String, Integer> counts = LiveThreads.count(pools);
        counts.values().removeIf((count) -> count == 0);
        return counts;
    }
}
