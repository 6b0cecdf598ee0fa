"""``python -m server check``: the lab sheet's checks against somebody else's TCP server.

A part of its own: a *client* of a student's server, sharing with the service only the
protocol's words. Pure core, thin I/O around it:

* :mod:`.cases`    the catalogue (what each case sends and how it is judged), as data;
* :mod:`.judge`    pure functions: observed exchanges in, verdict and explanation key out;
* :mod:`.explain`  explanations and report words, in Indonesian and English;
* :mod:`.results`  the result values the reports are pure functions of;
* :mod:`.reports`  text, JSON, Markdown and JUnit;
* :mod:`.wire`     asyncio: one exchange on a new connection, every wait bounded;
* :mod:`.runner`   runs the catalogue's cases in order against one target;
* :mod:`.supervisor` ``--run``: the student's program, started, watched, started again;
* :mod:`.command`  the command line (one target or ``--targets``);
* :mod:`.web`      ``/check``: the page's button, against the page's own backend only.
"""
