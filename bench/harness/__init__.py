"""The parts of bench/run: servers and their processes, the tools it installs, the requests and
answers it sends and checks, the loads it runs, and the table it writes. Standard library only.
"""
