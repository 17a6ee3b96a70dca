package dev.loombench.orders.webflux.runtime;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import reactor.netty.resources.LoopResources;

import org.springframework.http.client.ReactorResourceFactory;

/** Counts the I/O event loops the Netty server actually runs on (what -Dreactor.netty.ioWorkerCount set). */
final class NettyEventLoops {

    private NettyEventLoops() {
    }

    static int ioWorkers(ReactorResourceFactory resources) {
        if (resources == null) {
            return LoopResources.DEFAULT_IO_WORKER_COUNT;
        }
        // Same native/NIO choice as HttpServer.runOn(LoopResources), so this returns the server's cached group
        // instead of creating a second one.
        EventLoopGroup group = resources.getLoopResources().onServer(LoopResources.DEFAULT_NATIVE);
        int count = 0;
        for (EventExecutor ignored : group) {
            count++;
        }
        return count;
    }
}
