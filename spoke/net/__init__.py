"""spoke.net"""
