"""spoke.resolver"""
