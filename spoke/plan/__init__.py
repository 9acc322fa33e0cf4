"""spoke.plan"""
