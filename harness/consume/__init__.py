"""The consumer benchmark: events through outbox → relay → broker → consumer → inbox, under faults.

Per JDK × variant × repetition ("segment"): empty the event tables, start a fresh broker, start the
variant, inject events (``preload``/``drive``), sample until every event is processed or
dead-lettered, fire the faults on the way, reconcile (``reconcile``), stop app and broker.
``run.run_consume`` is the loop; the results go to consume.csv, consume_timeseries.csv and
histograms/consume-*.hlog.
"""
