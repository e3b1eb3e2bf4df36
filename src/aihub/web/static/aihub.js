// aihub's own script. Pages work without it; it adds what plain HTML cannot do.
