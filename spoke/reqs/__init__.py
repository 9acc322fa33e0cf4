"""spoke.reqs"""
